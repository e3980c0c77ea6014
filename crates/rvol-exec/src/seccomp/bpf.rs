//! The OCI `linux.seccomp` compiled to classic BPF as runc (libseccomp
//! 2.5, plus runc's -ENOSYS stub) builds it: per architecture of the
//! filter, a syscall the kernel has but the profile is too old to know
//! (a number past the largest it names) gets ENOSYS, so that libcs fall
//! back (clone3, fchmodat2); a syscall with a rule gets that rule's action
//! when its argument conditions hold; anything else the default action.
//! A wrong architecture is killed (libseccomp's default).
//!
//! Layout, for each arch (x86_64 and x32 share AUDIT_ARCH_X86_64 and are
//! told apart by the x32 bit of the number):
//!
//! ```text
//!   ld arch; jeq ARCH -> block; ...; ret KILL
//! block:
//!   ld nr; a binary search on the number over ranges of one outcome
//!   (ret ACT, or a syscall's rules; past the profile's last: ret ENOSYS)
//! a syscall's rules, inline at its leaf:
//!   (ld arg; jeq/jgt/and...)* ret ACT   (a failed condition: the next rule); ret DEFAULT
//! ```
//!
//! Conditional jumps reach at most 255 instructions: a tree node past
//! that adds a `ja`, whose reach is unbounded.

use oci_spec::runtime::{Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompOperator};
use rvol_state::{Error, Result};

use super::syscalls;

const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JGT_K: u16 = 0x25;
const JGE_K: u16 = 0x35;
const JA: u16 = 0x05;
const AND_K: u16 = 0x54; // BPF_ALU | BPF_AND | BPF_K
const RET_K: u16 = 0x06;

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const AUDIT_ARCH_I386: u32 = 0x4000_0003;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

const RET_KILL_THREAD: u32 = 0x0000_0000;
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_TRAP: u32 = 0x0003_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_TRACE: u32 = 0x7ff0_0000;
const RET_LOG: u32 = 0x7ffc_0000;
const RET_ALLOW: u32 = 0x7fff_0000;

/// The kernel's limit (BPF_MAXINSNS).
const MAX_INSNS: usize = 4096;

// struct seccomp_data offsets
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
const OFF_ARGS: u32 = 16;

pub type Program = Vec<libc::sock_filter>;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// One ABI the filter covers.
#[derive(Clone, Copy, PartialEq)]
enum Abi {
    X86_64,
    X32,
    I386,
}

impl Abi {
    fn audit(self) -> u32 {
        match self {
            Abi::X86_64 | Abi::X32 => AUDIT_ARCH_X86_64,
            Abi::I386 => AUDIT_ARCH_I386,
        }
    }

    /// The number the kernel sees for a syscall of `row` (its numbers in
    /// the three ABIs), if this ABI has it.
    fn number_of(self, row: &[u32; 3]) -> Option<u32> {
        let (col, bias) = match self {
            Abi::X86_64 => (0, 0),
            Abi::I386 => (1, 0),
            Abi::X32 => (2, X32_SYSCALL_BIT),
        };
        (row[col] != syscalls::NONE).then(|| row[col] | bias)
    }

    #[cfg(test)]
    fn number(self, name: &str) -> Option<u32> {
        lookup(name).and_then(|r| self.number_of(r))
    }

    /// Arguments are 64 bits wide (i386's are 32: only the low word).
    fn wide_args(self) -> bool {
        self != Abi::I386
    }
}

/// The ABI of a filter's arch on this host; None for another CPU's, which
/// this kernel never reports (libseccomp still takes them: nothing to do).
/// A name's numbers in the three ABIs.
fn lookup(name: &str) -> Option<&'static [u32; 3]> {
    let t = syscalls::SYSCALLS;
    t.binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| &t[i].1)
}

/// Every name of every rule, looked up once: [rule][name].
type Resolved = Vec<Vec<Option<&'static [u32; 3]>>>;

fn abi_of(arch: Arch) -> Option<Abi> {
    match arch {
        Arch::ScmpArchNative | Arch::ScmpArchX86_64 => Some(Abi::X86_64),
        Arch::ScmpArchX86 => Some(Abi::I386),
        Arch::ScmpArchX32 => Some(Abi::X32),
        _ => None,
    }
}

/// runc's getAction: an errno defaults to EPERM, and so does trace's.
fn action(act: LinuxSeccompAction, errno: Option<u32>) -> Result<u32> {
    let data = |e: Option<u32>| e.unwrap_or(libc::EPERM as u32) & 0xffff;
    Ok(match act {
        LinuxSeccompAction::ScmpActKill | LinuxSeccompAction::ScmpActKillThread => RET_KILL_THREAD,
        LinuxSeccompAction::ScmpActKillProcess => RET_KILL_PROCESS,
        LinuxSeccompAction::ScmpActTrap => RET_TRAP,
        LinuxSeccompAction::ScmpActErrno => RET_ERRNO | data(errno),
        LinuxSeccompAction::ScmpActTrace => RET_TRACE | data(errno),
        LinuxSeccompAction::ScmpActLog => RET_LOG,
        LinuxSeccompAction::ScmpActAllow => RET_ALLOW,
        LinuxSeccompAction::ScmpActNotify => {
            return Err(Error::new("seccomp notify is not supported by rvol-exec"))
        }
    })
}

#[derive(Clone)]
struct Cond {
    index: u32,
    op: LinuxSeccompOperator,
    value: u64,
    value_two: u64,
}

/// The rules of one syscall: an unconditional one's action (which wins,
/// as in libseccomp), else (action, conditions all of which must hold).
/// Kept apart because nearly every rule is unconditional: no allocation
/// for those (a fresh process's heap pages are faults, dear here).
struct Entry {
    uncond: Option<u32>,
    nr: u32,
    rules: Vec<(u32, Vec<Cond>)>,
}

/// The syscall entries for one ABI, in the profile's order of first
/// mention; a syscall named in several rules gathers them.
fn entries(
    seccomp: &LinuxSeccomp,
    resolved: &Resolved,
    abi: Abi,
    default: u32,
) -> Result<Vec<Entry>> {
    let names: usize = resolved.iter().map(Vec::len).sum();
    let mut out: Vec<Entry> = Vec::with_capacity(names);
    // number -> its entry in `out`
    let mut at = std::collections::HashMap::with_capacity(names);
    for (call, rows) in seccomp.syscalls().iter().flatten().zip(resolved) {
        let act = action(call.action(), call.errno_ret())?;
        if act == default {
            continue; // runc: redundant, skipped
        }
        let conds: Vec<Cond> = call
            .args()
            .iter()
            .flatten()
            .map(|a| Cond {
                index: a.index() as u32,
                op: a.op(),
                value: a.value(),
                value_two: a.value_two().unwrap_or(0),
            })
            .collect();
        if conds.iter().any(|c| c.index > 5) {
            return Err(Error::new("seccomp: a syscall argument index past 5"));
        }
        // runc: two conditions on one argument are separate rules (either).
        let mut idx: Vec<u32> = conds.iter().map(|c| c.index).collect();
        idx.sort_unstable();
        let repeated = idx.windows(2).any(|w| w[0] == w[1]);
        let rules: Vec<Vec<Cond>> = if repeated {
            conds.into_iter().map(|c| vec![c]).collect()
        } else {
            vec![conds]
        };
        for row in rows.iter().flatten() {
            // A name this ABI lacks is skipped for it (libseccomp resolves
            // each name per arch of a filter: socketcall only on i386).
            let Some(nr) = abi.number_of(row) else {
                continue;
            };
            let i = *at.entry(nr).or_insert_with(|| {
                out.push(Entry {
                    nr,
                    uncond: None,
                    rules: Vec::new(),
                });
                out.len() - 1
            });
            let e = &mut out[i];
            if rules.iter().any(Vec::is_empty) {
                e.uncond.get_or_insert(act);
            } else {
                e.rules.extend(rules.iter().map(|r| (act, r.clone())));
            }
        }
    }
    Ok(out)
}

/// A check of one condition, jumping `fail` instructions past its own end
/// when it does not hold (falling through when it does).
fn condition(c: &Cond, wide: bool, out: &mut Program, fail_to: &mut Vec<usize>) {
    let lo = OFF_ARGS + 8 * c.index;
    let hi = lo + 4;
    let (vhi, vlo) = ((c.value >> 32) as u32, c.value as u32);
    // Each `jf`/`jt` marked in fail_to is patched to the rule's end.
    let mut j = |out: &mut Program, code, k, on_fail_true: bool| {
        fail_to.push(out.len());
        let mut ins = jump(code, k, 0, 0);
        // mark which branch fails: jt when on_fail_true, else jf
        ins.jt = on_fail_true as u8;
        out.push(ins);
    };
    use LinuxSeccompOperator as Op;
    match c.op {
        Op::ScmpCmpEq | Op::ScmpCmpNe | Op::ScmpCmpMaskedEq => {
            let masked = c.op == Op::ScmpCmpMaskedEq;
            let (thi, tlo) = if masked {
                ((c.value_two >> 32) as u32, c.value_two as u32)
            } else {
                (vhi, vlo)
            };
            let ne = c.op == Op::ScmpCmpNe;
            if wide {
                out.push(stmt(LD_W_ABS, hi));
                if masked {
                    out.push(stmt(AND_K, vhi));
                }
                if ne {
                    // high words differ: the condition holds, skip the low test
                    let skip = if masked { 3 } else { 2 };
                    out.push(jump(JEQ_K, thi, 0, skip));
                } else {
                    j(out, JEQ_K, thi, false);
                }
            }
            out.push(stmt(LD_W_ABS, lo));
            if masked {
                out.push(stmt(AND_K, vlo));
            }
            j(out, JEQ_K, tlo, ne);
        }
        Op::ScmpCmpGt | Op::ScmpCmpGe | Op::ScmpCmpLt | Op::ScmpCmpLe => {
            // unsigned 64-bit: decide on the high word unless it is equal
            let greater = matches!(c.op, Op::ScmpCmpGt | Op::ScmpCmpGe);
            let strict_lo = matches!(c.op, Op::ScmpCmpGt | Op::ScmpCmpLe);
            if wide {
                out.push(stmt(LD_W_ABS, hi));
                if greater {
                    // hi > v: holds (skip jeq, ld, test); hi < v: fails
                    out.push(jump(JGT_K, vhi, 3, 0));
                    j(out, JEQ_K, vhi, false);
                } else {
                    // hi > v: fails; hi < v: holds
                    j(out, JGT_K, vhi, true);
                    out.push(jump(JEQ_K, vhi, 0, 2));
                }
            }
            out.push(stmt(LD_W_ABS, lo));
            let code = if strict_lo { JGT_K } else { JGE_K };
            // Gt/Ge: the low test must hold; Lt/Le: Lt = !(lo >= v), Le = !(lo > v)
            j(out, code, vlo, !greater);
        }
    }
}

/// What a range of syscall numbers leads to: a return, or the rules of
/// one syscall.
#[derive(PartialEq, Clone, Copy)]
enum Outcome {
    Ret(u32),
    Rules(usize),
}

/// The number line of one ABI cut into ranges of one outcome each: from
/// each start to the next. Docker's allow list is dense, so x86_64's 333
/// allowed syscalls are 36 ranges (x86's and x32's about 80).
fn ranges(entries: &[Entry], default: u32, enosys_past: Option<u32>) -> Vec<(u32, Outcome)> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].nr);
    let mut out: Vec<(u32, Outcome)> = vec![(0, Outcome::Ret(default))];
    let push = |start: u32, o: Outcome, out: &mut Vec<(u32, Outcome)>| {
        if let Some(last) = out.last_mut() {
            if last.0 == start {
                *last = (start, o);
            } else if last.1 == o {
                return;
            } else {
                out.push((start, o));
            }
        }
        // merge with the range before when this one became its twin
        let n = out.len();
        if n >= 2 && out[n - 2].1 == out[n - 1].1 {
            out.pop();
        }
    };
    for i in order {
        let e = &entries[i];
        let o = match e.uncond {
            Some(act) => Outcome::Ret(act),
            None => Outcome::Rules(i),
        };
        push(e.nr, o, &mut out);
        push(e.nr + 1, Outcome::Ret(default), &mut out);
    }
    if let Some(last) = enosys_past {
        push(
            last + 1,
            Outcome::Ret(RET_ERRNO | libc::ENOSYS as u32),
            &mut out,
        );
    }
    out
}

/// A binary search over `ranges` (the number loaded), self-contained:
/// `jge START, k, 0` over the lower half to the upper one (`jge; ja` when
/// the lower half is past a conditional jump's reach), a range's outcome
/// at each leaf: its `ret`, or its syscall's rules inline. A syscall takes
/// a handful of tests, and the kernel, which emulates the filter for
/// every syscall number when it loads it (its allow-cache) and compiles it
/// to machine code, has a few hundred instructions to go through.
fn tree(abi: Abi, entries: &[Entry], ranges: &[(u32, Outcome)], default: u32) -> Result<Program> {
    if ranges.len() == 1 {
        return match ranges[0].1 {
            Outcome::Ret(act) => Ok(vec![stmt(RET_K, act)]),
            Outcome::Rules(i) => rules(abi, &entries[i], default),
        };
    }
    let mid = ranges.len() / 2;
    let low = tree(abi, entries, &ranges[..mid], default)?;
    let high = tree(abi, entries, &ranges[mid..], default)?;
    let mut out = Program::with_capacity(low.len() + high.len() + 2);
    match u8::try_from(low.len()) {
        Ok(skip) => out.push(jump(JGE_K, ranges[mid].0, skip, 0)),
        Err(_) => {
            out.push(jump(JGE_K, ranges[mid].0, 0, 1));
            out.push(stmt(JA, low.len() as u32));
        }
    }
    out.extend(low);
    out.extend(high);
    Ok(out)
}

/// One syscall's rules in turn (a failed condition: the next rule), then
/// the default.
fn rules(abi: Abi, e: &Entry, default: u32) -> Result<Program> {
    let mut out = Program::new();
    for (act, conds) in &e.rules {
        let mut fail_to = Vec::new();
        for c in conds {
            condition(c, abi.wide_args(), &mut out, &mut fail_to);
        }
        out.push(stmt(RET_K, *act));
        let end = out.len(); // the next rule
        for f in fail_to {
            let off: u8 = (end - f - 1)
                .try_into()
                .map_err(|_| Error::new("seccomp: a rule too long for a BPF jump"))?;
            if out[f].jt == 1 {
                out[f].jt = off;
            } else {
                out[f].jf = off;
            }
        }
    }
    out.push(stmt(RET_K, default));
    Ok(out)
}

/// The block of one ABI, the syscall number loaded.
fn abi_block(
    abi: Abi,
    entries: &[Entry],
    default: u32,
    enosys_past: Option<u32>,
) -> Result<Program> {
    tree(
        abi,
        entries,
        &ranges(entries, default, enosys_past),
        default,
    )
}

/// The whole program for `seccomp`.
pub fn compile(seccomp: &LinuxSeccomp) -> Result<Program> {
    if !cfg!(target_arch = "x86_64") {
        return Err(Error::new(
            "seccomp: rvol-exec has syscall tables for x86_64 hosts only",
        ));
    }
    let default = action(seccomp.default_action(), seccomp.default_errno_ret())?;
    // libseccomp's filter always holds the native arch; runc adds the
    // spec's architectures to it.
    let mut abis: Vec<Abi> = vec![Abi::X86_64];
    for a in seccomp.architectures().iter().flatten() {
        if let Some(abi) = abi_of(*a) {
            if !abis.contains(&abi) {
                abis.push(abi);
            }
        }
    }
    // runc's -ENOSYS stub: not for a permissive default, nor when the
    // default already is ENOSYS.
    let stub = !matches!(
        seccomp.default_action(),
        LinuxSeccompAction::ScmpActAllow
            | LinuxSeccompAction::ScmpActLog
            | LinuxSeccompAction::ScmpActTrace
    ) && seccomp.default_errno_ret() != Some(libc::ENOSYS as u32);
    let resolved: Resolved = seccomp
        .syscalls()
        .iter()
        .flatten()
        .map(|c| c.names().iter().map(|n| lookup(n)).collect())
        .collect();
    let mut blocks = Vec::new();
    for &abi in &abis {
        let list = entries(seccomp, &resolved, abi, default)?;
        let last = resolved
            .iter()
            .flatten()
            .flatten()
            .filter_map(|r| abi.number_of(r))
            .max();
        blocks.push((abi, abi_block(abi, &list, default, last.filter(|_| stub))?));
    }

    // The dispatch on the arch, then per audit arch the number (x32's
    // carry the x32 bit; x86_64 without x32, or x32 alone, kills the other).
    let mut prog = vec![stmt(LD_W_ABS, OFF_ARCH)];
    let mut audits: Vec<u32> = Vec::new();
    for a in &abis {
        if !audits.contains(&a.audit()) {
            audits.push(a.audit());
        }
    }
    let mut bodies: Vec<Program> = Vec::new();
    for audit in &audits {
        let mut body = vec![stmt(LD_W_ABS, OFF_NR)];
        let of = |want: Abi| blocks.iter().find(|(a, _)| *a == want).map(|(_, b)| b);
        if *audit == AUDIT_ARCH_X86_64 {
            let (native, x32) = (of(Abi::X86_64), of(Abi::X32));
            match (native, x32) {
                (Some(n), Some(x)) => {
                    body.push(jump(JGE_K, X32_SYSCALL_BIT, 0, 1));
                    body.push(stmt(JA, n.len() as u32));
                    body.extend_from_slice(n);
                    body.extend_from_slice(x);
                }
                (Some(n), None) => {
                    body.push(jump(JGE_K, X32_SYSCALL_BIT, 0, 1));
                    body.push(stmt(RET_K, RET_KILL_THREAD));
                    body.extend_from_slice(n);
                }
                (None, Some(x)) => {
                    body.push(jump(JGE_K, X32_SYSCALL_BIT, 1, 0));
                    body.push(stmt(RET_K, RET_KILL_THREAD));
                    body.extend_from_slice(x);
                }
                (None, None) => {}
            }
        } else if let Some(b) = of(Abi::I386) {
            body.extend_from_slice(b);
        }
        bodies.push(body);
    }
    // jeq AUDIT, 0, 1; ja body  ... ; ret KILL
    let dispatch = 2 * audits.len() + 1;
    let mut offset = 0usize;
    for (i, audit) in audits.iter().enumerate() {
        prog.push(jump(JEQ_K, *audit, 0, 1));
        // from after this ja to the body: the rest of the dispatch, then
        // the bodies before this one
        let rest = dispatch - 2 * i - 2;
        prog.push(stmt(JA, (rest + offset) as u32));
        offset += bodies[i].len();
    }
    prog.push(stmt(RET_K, RET_KILL_THREAD));
    for b in bodies {
        prog.extend(b);
    }
    if prog.len() > MAX_INSNS {
        return Err(Error::new(format!(
            "seccomp: the filter needs {} BPF instructions, more than the kernel's {MAX_INSNS}",
            prog.len()
        )));
    }
    Ok(prog)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's classic-BPF semantics for the instructions we emit,
    /// run over one seccomp_data.
    fn run(p: &Program, arch: u32, nr: u32, args: [u64; 6]) -> u32 {
        let word = |off: u32| -> u32 {
            match off {
                OFF_NR => nr,
                OFF_ARCH => arch,
                o if o >= OFF_ARGS => {
                    let i = ((o - OFF_ARGS) / 8) as usize;
                    if (o - OFF_ARGS).is_multiple_of(8) {
                        args[i] as u32
                    } else {
                        (args[i] >> 32) as u32
                    }
                }
                _ => panic!("load at {off}"),
            }
        };
        let (mut pc, mut a) = (0usize, 0u32);
        loop {
            let i = p[pc];
            pc += 1;
            let cond = |t: bool| if t { i.jt as usize } else { i.jf as usize };
            match i.code {
                LD_W_ABS => a = word(i.k),
                AND_K => a &= i.k,
                JA => pc += i.k as usize,
                JEQ_K => pc += cond(a == i.k),
                JGT_K => pc += cond(a > i.k),
                JGE_K => pc += cond(a >= i.k),
                RET_K => return i.k,
                c => panic!("opcode {c:#x}"),
            }
        }
    }

    fn profile(json: &str) -> Program {
        compile(&serde_json::from_str::<LinuxSeccomp>(json).unwrap()).unwrap()
    }

    const X64: u32 = AUDIT_ARCH_X86_64;
    const EPERM: u32 = RET_ERRNO | 1;

    #[test]
    fn actions_by_syscall_and_arch() {
        let p = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO",
                "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
                "syscalls":[{"names":["read","write","socketcall"],"action":"SCMP_ACT_ALLOW"},
                            {"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
                            {"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        let z = [0; 6];
        assert_eq!(run(&p, X64, 0, z), RET_ALLOW); // read
        assert_eq!(run(&p, X64, 435, z), RET_ERRNO | 38); // clone3
        assert_eq!(run(&p, X64, 83, z), EPERM); // mkdir: the default's action, skipped
        assert_eq!(run(&p, X64, 2, z), EPERM); // open: default
                                               // runc's stub: past the largest number the profile names, ENOSYS
        assert_eq!(run(&p, X64, 452, z), RET_ERRNO | libc::ENOSYS as u32);
        // i386: its own numbers (read is 3, socketcall 102)
        assert_eq!(run(&p, AUDIT_ARCH_I386, 3, z), RET_ALLOW);
        assert_eq!(run(&p, AUDIT_ARCH_I386, 102, z), RET_ALLOW);
        assert_eq!(run(&p, AUDIT_ARCH_I386, 0, z), EPERM);
        // x32: the x32 bit
        assert_eq!(run(&p, X64, X32_SYSCALL_BIT, z), RET_ALLOW);
        // another arch
        assert_eq!(run(&p, 0xc00000b7, 0, z), RET_KILL_THREAD);
        let only64 = profile(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#,
        );
        assert_eq!(run(&only64, X64, 0, z), RET_KILL_PROCESS);
        assert_eq!(run(&only64, X64, 1, z), RET_ALLOW); // no stub for an allow default
        assert_eq!(run(&only64, X64, X32_SYSCALL_BIT, z), RET_KILL_THREAD);
    }

    #[test]
    fn argument_conditions() {
        let p = profile(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
                {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
                {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_EQ"}]},
                {"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},
                {"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":4294967296,"op":"SCMP_CMP_GT"}]},
                {"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":4294967296,"op":"SCMP_CMP_LE"},{"index":0,"value":7,"op":"SCMP_CMP_NE"}]},
                {"names":["close"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":5,"op":"SCMP_CMP_GE"},{"index":0,"value":2,"op":"SCMP_CMP_LT"}]}]}"#,
        );
        let a0 = |v: u64| [v, 0, 0, 0, 0, 0];
        let pers = 135;
        assert_eq!(run(&p, X64, pers, a0(8)), RET_ALLOW);
        assert_eq!(run(&p, X64, pers, a0(0xffff_ffff)), RET_ALLOW);
        assert_eq!(run(&p, X64, pers, a0(0x1_0000_0008)), EPERM);
        assert_eq!(run(&p, X64, pers, a0(9)), EPERM);
        let clone = 56;
        assert_eq!(run(&p, X64, clone, a0(0x0011_0000 | 17)), RET_ALLOW); // CLONE_THREAD...
        assert_eq!(run(&p, X64, clone, a0(0x2000_0000)), EPERM); // CLONE_NEWUSER
        assert_eq!(run(&p, X64, clone, a0(0x0002_0000)), EPERM); // CLONE_NEWNS
        let read = |c: u64| run(&p, X64, 0, [0, 0, c, 0, 0, 0]);
        assert_eq!(read(0x1_0000_0001), RET_ALLOW);
        assert_eq!(read(0x1_0000_0000), EPERM);
        assert_eq!(read(0xffff_ffff), EPERM);
        assert_eq!(read(0x2_0000_0000), RET_ALLOW);
        let write = |a: u64, b: u64| run(&p, X64, 1, [a, b, 0, 0, 0, 0]);
        assert_eq!(write(0, 0x1_0000_0000), RET_ALLOW);
        assert_eq!(write(0, 0xffff_ffff), RET_ALLOW);
        assert_eq!(write(0, 0x1_0000_0001), EPERM);
        assert_eq!(write(7, 1), EPERM);
        assert_eq!(write(0x1_0000_0007, 1), RET_ALLOW);
        // two conditions on one argument: either (runc)
        let close = |a: u64| run(&p, X64, 3, a0(a));
        assert_eq!(close(1), RET_ALLOW);
        assert_eq!(close(5), RET_ALLOW);
        assert_eq!(close(3), EPERM);
    }

    #[test]
    fn dockers_default_profile_fits() {
        let default = include_str!("../../../../profiles/seccomp/default.json");
        let v: serde_json::Value = serde_json::from_str(default).unwrap();
        // the names of every rule, unconditionally, as a worst case
        let mut names = Vec::new();
        for s in v["syscalls"].as_array().unwrap() {
            names.extend(s["names"].as_array().unwrap().iter().cloned());
        }
        let p = profile(
            &serde_json::json!({"defaultAction": "SCMP_ACT_ERRNO",
                "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                "syscalls": [{"names": names, "action": "SCMP_ACT_ALLOW"}]})
            .to_string(),
        );
        // x86_64 and x32 share one arch test and one body: each block once
        assert!(p.len() < 600, "{}", p.len());
        // every number of every ABI lands where it should
        let listed: Vec<&str> = names.iter().map(|n| n.as_str().unwrap()).collect();
        for (abi, audit) in [
            (Abi::X86_64, X64),
            (Abi::X32, X64),
            (Abi::I386, AUDIT_ARCH_I386),
        ] {
            let last = listed.iter().filter_map(|n| abi.number(n)).max().unwrap();
            for (name, _) in syscalls::SYSCALLS {
                let Some(nr) = abi.number(name) else { continue };
                let want = if listed.contains(name) {
                    RET_ALLOW
                } else if nr > last {
                    RET_ERRNO | libc::ENOSYS as u32
                } else {
                    EPERM
                };
                assert_eq!(run(&p, audit, nr, [0; 6]), want, "{name} {nr:#x}");
            }
        }
    }
}
