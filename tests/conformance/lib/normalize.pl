#!/usr/bin/perl
# normalize.pl HOSTDIR ROOT < capture > normalised capture
#
# Takes out of a capture what legitimately differs between two runs and two
# runtimes: this side's host dir and state root (docker's data root, rvol's
# RVOL_ROOT), generated ids and volume names (mapped to <id1>, <id2>, ... in
# order of first appearance, so "the same volume" stays visible), their
# 12-hex short forms, times, and the path of docker's container rootfs in
# its error texts (rvol names the path inside the container, or its own
# rootfs path, which is taken off as well). Lines between "@@sort{" and
# "@@sort}" come out sorted.
use strict;
use warnings;

my ($hostdir, $root) = @ARGV;
my (%long, %short);
my $n = 0;

sub long_id {
    my ($h) = @_;
    $long{$h} //= "<id" . ++$n . ">";
    return $long{$h};
}

sub short_id {
    my ($h) = @_;
    for my $l (keys %long) {
        return substr($long{$l}, 0, -1) . ":12>" if substr($l, 0, 12) eq $h;
    }
    $short{$h} //= "<short" . ++$n . ">";
    return $short{$h};
}

my @block;
my $in_block = 0;
while (my $line = <STDIN>) {
    if ($line eq "\@\@sort{\n") { $in_block = 1; next; }
    if ($line eq "\@\@sort}\n") { print sort @block; @block = (); $in_block = 0; next; }
    $line =~ s{\Q$root\E/overlay2/[0-9a-f]{64}/merged(?=/)}{}g;
    $line =~ s{\Q$root\E/containers/[0-9a-f]{64}/rootfs(?=/)}{}g;
    $line =~ s/\Q$hostdir\E/<H>/g;
    $line =~ s/\Q$root\E/<ROOT>/g;
    $line =~ s/\b([0-9a-f]{64})\b/long_id($1)/ge;
    $line =~ s/\b([0-9a-f]{12})\b/short_id($1)/ge;
    # RFC 3339 times: keep whether there is a fraction, which is a shape
    $line =~ s/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(?:Z|[+-]\d\d:\d\d)/<TIME.ns>/g;
    $line =~ s/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)/<TIME>/g;
    # docker's human times ("2 seconds ago", "Less than a second ago")
    $line =~ s/\b(?:Less than a second|About a minute|About an hour|\d+ (?:seconds?|minutes?|hours?)) ago\b/<T> ago/g;
    if ($in_block) { push @block, $line; } else { print $line; }
}
print @block;
