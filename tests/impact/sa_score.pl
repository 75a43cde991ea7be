#!/usr/bin/perl
# sa_score.pl - scores mail files with the installed SpamAssassin, in one
# process for many files (SpamAssassin needs seconds to start, a tenth of a
# second per message after that), and prints one line per file:
#     NAME <TAB> SCORE <TAB> RULE=score,RULE=score,... <TAB> SUBRULE,SUBRULE,...
# (the scored rules hit, then the sub-rules hit: the "__" rules that only
# feed others).
# Local tests only: no DNS or other network look-up (and any attempt is
# blocked, counted and makes the run fail), no Bayes, no auto-learning, no
# auto-welcomelist. The machine's site configuration (local.cf) and the
# user's ~/.spamassassin are neither read nor written: everything lives in
# WORKDIR. The system's *.pre plugin lists are copied so that the same plugins
# load as in a default installation.
#
# With --top-rules instead of files it scores nothing and prints, one per
# line, the rules that read the message's top-level MIME fields
# (Content-Type, Content-Transfer-Encoding, any other Content-* field,
# MIME-Version): the rules a wrap can change. They are taken from the rules
# SpamAssassin has loaded, so the list follows the installed rule set.
#
# It judges nothing; spam_score_test.sh compares the lines of two runs.
# Usage: sa_score.pl WORKDIR FILE...   |   sa_score.pl WORKDIR --top-rules
use strict;
use warnings;
use File::Basename qw(basename);
use File::Copy qw(copy);
use File::Path qw(make_path);

use Mail::SpamAssassin;
use Mail::SpamAssassin::DnsResolver;

my ($workdir, @files) = @ARGV;
die "usage: sa_score.pl WORKDIR FILE... | WORKDIR --top-rules\n" unless defined $workdir && @files;

# The directories the spamassassin command was built with, so that the rules
# it would use are the rules used here (sa-update's copy, else the packaged).
my %dirs = (PREFIX => '/usr', DEF_RULES_DIR => '/usr/share/spamassassin',
            LOCAL_RULES_DIR => '/etc/spamassassin', LOCAL_STATE_DIR => '/var/lib/spamassassin');
for my $bin (map { "$_/spamassassin" } split /:/, ($ENV{PATH} || '')) {
    next unless -r $bin && open(my $fh, '<', $bin);
    while (<$fh>) { $dirs{$1} = $2 if /^my \$(\w+)\s*=\s*'([^']*)';\s*# substituted/ }
    last;
}

make_path("$workdir/site", "$workdir/home", "$workdir/state");
for my $pre (glob "$dirs{LOCAL_RULES_DIR}/*.pre") {
    copy($pre, "$workdir/site/") or die "cannot copy $pre: $!\n";
}
open(my $cf, '>', "$workdir/site/local.cf") or die "$workdir/site/local.cf: $!\n";
print $cf <<'EOF';
# Written by sa_score.pl: scoring only, nothing learnt, nothing looked up.
dns_available no
skip_rbl_checks 1
use_bayes 0
bayes_auto_learn 0
ifplugin Mail::SpamAssassin::Plugin::AWL
use_auto_welcomelist 0
endif
ifplugin Mail::SpamAssassin::Plugin::TxRep
use_txrep 0
endif
EOF
close $cf or die "$workdir/site/local.cf: $!\n";

# A network look-up would make scores depend on the day and leak test mail
# to DNS blocklists: refuse it outright and count the attempt.
my $net_attempts = 0;
{
    no strict 'refs';
    no warnings 'redefine';
    for my $sub (qw(Mail::SpamAssassin::DnsResolver::connect_sock
                    Mail::SpamAssassin::DnsResolver::bgsend
                    Mail::SpamAssassin::DnsResolver::send)) {
        next unless defined &{$sub};
        *{$sub} = sub { $net_attempts++; warn "sa_score: blocked $sub\n"; return; };
    }
}

my $sa = Mail::SpamAssassin->new({
    site_rules_filename  => "$workdir/site",
    userprefs_filename   => "$workdir/home/user_prefs",
    userstate_dir        => "$workdir/state",
    home_dir_for_helpers => "$workdir/home",  # else it creates ~/.spamassassin of the passwd home
    dont_copy_prefs      => 1,
    local_tests_only     => 1,
    require_rules        => 1,
    %dirs,
});
$sa->init(1);
if ($files[0] eq '--top-rules') {
    # Header rules ("Content-Type =~ ...", "exists:MIME-Version", "X:raw =~")
    # and header evals given such a field's name. SpamAssassin never runs a
    # rule whose score is 0 unless it is a sub-rule ("__") or feeds a meta.
    my $conf = $sa->{conf};
    my $field = qr/(?:Content-[\w-]+|MIME-Version)/i;
    my %top;
    for my $by_priority (values %{$conf->{head_tests}}) {
        while (my ($name, $text) = each %$by_priority) {
            $top{$name} = 1 if $text =~ /^\s*(?:exists:)?\s*$field(?::\w+)*\s*(?:[=!]~|$)/;
        }
    }
    for my $by_priority (values %{$conf->{head_evals}}) {
        while (my ($name, $eval) = each %$by_priority) {
            $top{$name} = 1 if grep { !ref($_) && /^$field$/ } @{$eval->[1]};
        }
    }
    for my $name (sort keys %top) {
        next if !$conf->{scores}{$name} && $name !~ /^__/ && !$conf->{meta_deprules}{$name};
        print "$name\n";
    }
    exit 0;
}

my $rules = $sa->first_existing_path(@Mail::SpamAssassin::default_rules_path) || '?';
print "# SpamAssassin ", Mail::SpamAssassin::Version(), ", rules $rules\n";

for my $file (@files) {
    open(my $fh, '<:raw', $file) or die "$file: $!\n";
    my $raw = do { local $/; <$fh> };
    close $fh;
    my $msg = $sa->parse($raw);
    my $pms = $sa->check($msg);
    printf "%s\t%.3f\t%s\t%s\n", basename($file), $pms->get_score(), $pms->get_tag('TESTSSCORES', ','),
        $pms->get_tag('SUBTESTS', ',');
    $pms->finish();
    $msg->finish();
}
$sa->finish();

print STDERR "sa_score: ", scalar(@files), " files, $net_attempts network look-ups attempted\n";
exit($net_attempts ? 3 : 0);
