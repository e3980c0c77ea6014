#!/usr/bin/perl
# compare.pl DOCKER-CAPTURE RVOL-CAPTURE: exit 0 when they agree, else print
# a unified diff (docker's side is "-", rvol's "+") and exit 1.
#
# Error lines ("! error: TEXT") agree when rvol's TEXT ends with docker's:
# rvol names its tool and step before docker's text (`rvol-mount: create:
# invalid mode: foo`), and the runtime's framing was already taken off.
use strict;
use warnings;

sub slurp {
    open my $fh, "<", $_[0] or die "compare: $_[0]: $!\n";
    my @l = <$fh>;
    return @l;
}

my @a = slurp($ARGV[0]);
my @b = slurp($ARGV[1]);
for my $i (0 .. $#b) {
    next unless $i <= $#a;
    my ($ea) = $a[$i] =~ /^! error: (.*)$/ or next;
    my ($eb) = $b[$i] =~ /^! error: (.*)$/ or next;
    $b[$i] = $a[$i] if length($eb) >= length($ea) && substr($eb, -length($ea)) eq $ea;
}
exit 0 if join("", @a) eq join("", @b);

my $tmp = $ENV{TMPDIR} // "/tmp";
my $fb = "$tmp/compare.$$.rvol";
open my $fh, ">", $fb or die "compare: $fb: $!\n";
print $fh @b;
close $fh;
system("diff", "-u", "--label", "docker", "--label", "rvol", $ARGV[0], $fb);
unlink $fb;
exit 1;
