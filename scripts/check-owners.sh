#!/usr/bin/env bash
# Every table has one owner (docs/architecture.md, "Tables and their owners"): the file whose name
# it carries. Only the owner's SQL names a table; every other file goes through the owner's
# functions, so a change to a table's columns or rules touches one file. This check reads the SQL
# in the engine's string literals (adjacent literals joined, comments skipped) and fails when:
#  - a file writes (INSERT INTO, UPDATE, DELETE FROM) a table it does not own;
#  - a file reads (FROM, JOIN) a table it does not own, unless the pair is one of the reads below;
#  - a table of migrations/ (or one the engine makes) has no owner here, or an owner names a table
#    nothing makes;
#  - the tables of docs/architecture.md are not these.
# SQL keywords are upper case in the engine; a table named in lower-case text (a message) is prose.
set -euo pipefail
cd "$(dirname "$0")/.."

# owner: its tables
owners="
src/core/migrate.c: schema_migrations
src/core/timer.c: timers
src/core/effect.c: effects
src/town/town.c: town town_secrets
src/town/members.c: members
src/town/bead.c: beads bead_deps bead_labels bead_diffs
src/town/feed.c: events
src/town/rig.c: rigs
src/town/agent.c: agents agent_status agent_events town_keys
src/town/convoy.c: convoys convoy_beads
src/town/mail.c: mail
src/town/escalation.c: escalations
src/town/mayor.c: mayor_messages mayor_replies
src/town/persona.c: personas
src/town/note.c: notes note_search
src/org/org.c: org
src/org/org_town.c: org_towns org_meta
src/org/user.c: my_towns my_orgs
src/costs/costs.c: usage usage_daily model_prices model_price_defaults
src/costs/budget.c: budgets
src/costs/fleet.c: fleet_costs fleet_closed fleet_reports member_teams
src/run/reconcile.c: reconciler_state dispatch_failures
src/run/attempt.c: attempts
src/run/outcome.c: outcomes outcome_totals
src/run/stats_report.c: stats_report platform_variants
src/run/platform_stats.c: stats_reporters stats_contributions stats_totals
src/hooks/integration.c: integrations integration_logins integration_tokens
src/hooks/outbound.c: hook_pending
src/hooks/delivery.c: hook_deliveries hook_counts hook_inbox
src/hooks/link.c: hook_links
src/api/idempotent.c: idempotent_replies
src/hooks/review.c: review_comments
src/memory/agent_log.c: log_events log_search log_agents log_state
src/memory/log_index.c: log_index_queue
src/registry/registry.c: registry_packages registry_versions registry_outcomes
src/registry/install.c: installs
src/registry/molecule.c: molecule_runs molecule_beads
src/federation/beads_jsonl.c: beads_jsonl
src/federation/wasteland.c: wasteland wasteland_queue wasteland_posted wasteland_wanted
src/federation/dolt_sync.c: dolt_sync
src/test/probes.c: test_kv test_alarm test_effect
"

# Files that are parts of an owner's module (the owner split in rooms of one concept each; the
# tables' SQL stays inside the module): part: owner
parts="
src/town/bead_run.c: src/town/bead.c
src/town/bead_diff.c: src/town/bead.c
src/town/agent_token.c: src/town/agent.c
src/town/agent_crew.c: src/town/agent.c
src/town/agent_events.c: src/town/agent.c
src/memory/log_wipe.c: src/memory/agent_log.c
"

# Reads across owners that stay one statement (the file owns the statement's first table and only
# reads the others; docs/architecture.md says why): file: tables
reads="
src/town/convoy.c: beads bead_deps bead_diffs
src/town/town.c: rigs
"

# Files whose SQL is another database's, sent as text, never run here: skipped.
remote="src/federation/commons.c"

OWNERS=$owners PARTS=$parts READS=$reads REMOTE=$remote exec perl -e '
use strict; use warnings;
my (%owner, %part, %read, %made, %remote, $bad);
$remote{$_} = 1 for split " ", $ENV{REMOTE};
sub fail { print STDERR "owners: $_[0]\n"; $bad = 1 }
for (split /\n/, $ENV{OWNERS}) { next unless /^(\S+):\s*(.*)$/; my $f = $1; $owner{$_} = $f for split " ", $2 }
for (split /\n/, $ENV{PARTS}) { $part{$1} = $2 if /^(\S+):\s*(\S+)$/ }
for (split /\n/, $ENV{READS}) { next unless /^(\S+):\s*(.*)$/; my $f = $1; $read{"$f $_"} = 1 for split " ", $2 }
# Tables the migrations make, and those the engine makes itself (schema_migrations, migrate.c).
for my $m (glob("migrations/*/*.sql"), grep { !$remote{$_} } glob("src/*/*.c")) {
	open my $fh, "<", $m or die "$m: $!"; local $/; my $s = <$fh>;
	$made{$1} = 1 while $s =~ /CREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi;
}
# A table made again under a temporary name (to change a check) ends under its own name.
for my $m (glob("migrations/*/*.sql")) {
	open my $fh, "<", $m or die "$m: $!"; local $/; my $s = <$fh>;
	while ($s =~ /ALTER\s+TABLE\s+(\w+)\s+RENAME\s+TO\s+(\w+)/gi) { delete $made{$1}; $made{$2} = 1 }
}
fail "table $_ has no owner: add it to scripts/check-owners.sh and docs/architecture.md" for grep { !$owner{$_} } sort keys %made;
fail "$owner{$_} owns $_, which nothing makes" for grep { !$made{$_} } sort keys %owner;
for my $f (sort { $a cmp $b } grep { !$remote{$_} } (glob("src/*.c"), glob("src/*/*.c"), glob("src/*.h"), glob("src/*/*.h"))) {
	open my $fh, "<", $f or die "$f: $!"; local $/; my $src = <$fh>;
	my $mod = $part{$f} // $f;
	# The code with each string literal replaced by \x01 (its text and line kept apart), comments
	# blanked; adjacent literals (only white space between) are one piece of SQL.
	my ($code, @lit) = ("");
	while ($src =~ /\G(?:(\/\*.*?\*\/|\/\/[^\n]*)|("(?:[^"\\\n]|\\.)*")|(\x27(?:[^\x27\\\n]|\\.)*\x27)|([^"\x27\/]+|\/))/gsc) {
		if (defined $2) {
			my $at = pos($src) - length($2);
			push @lit, [1 + (substr($src, 0, $at) =~ tr/\n//), substr($2, 1, -1)];
			$code .= "\x01";
		} elsif (defined $1) { $code .= " " } else { $code .= defined $3 ? $3 : $4 }
	}
	my (@sql, $cur, $line, $i);
	$i = 0;
	for my $p (split /(\x01)/, $code) {
		if ($p eq "\x01") { my ($l, $s) = @{$lit[$i++]}; if (defined $cur) { $cur .= $s } else { ($cur, $line) = ($s, $l) } }
		elsif ($p =~ /\S/ && defined $cur) { push @sql, [$line, $cur]; undef $cur }
	}
	push @sql, [$line, $cur] if defined $cur;
	for (@sql) {
		my ($l, $s) = @$_;
		my (%w, %r);
		$w{$1} = 1 while $s =~ /\b(?:INTO|UPDATE|DELETE\s+FROM)\s+(\w+)/g;
		$r{$1} = 1 while $s =~ /\bJOIN\s+(\w+)/g;
		# A FROM clause up to its end: each item of its comma list starts with a table.
		while ($s =~ /\bFROM\s+(.*?)(?=\b(?:WHERE|GROUP|ORDER|LIMIT|ON|JOIN|LEFT|INNER|CROSS|UNION|HAVING|WINDOW|RETURNING|USING)\b|\)|;|$)/gs) {
			my $list = $1;
			for my $item (split /,/, $list) { $r{$1} = 1 if $item =~ /^\s*(\w+)/ }
		}
		for my $t (sort keys %w) {
			next if !$made{$t} || ($owner{$t} // "") eq $mod;
			fail "$f:$l writes $t, which $owner{$t} owns: call its functions";
		}
		for my $t (sort keys %r) {
			next if $w{$t} || !$made{$t} || ($owner{$t} // "") eq $mod || $read{"$f $t"};
			fail "$f:$l reads $t, which $owner{$t} owns: call its functions (or list the read in scripts/check-owners.sh, if it must stay one statement)";
		}
	}
}
# The documented tables are these: a row per owner, | `t1`, `t2` | `file` |, and a row per read
# across owners, | `t1`, `t2` | `file` | why |.
{
	open my $fh, "<", "docs/architecture.md" or die "docs/architecture.md: $!"; local $/; my $doc = <$fh>;
	my ($sec) = $doc =~ /\n### Tables and their owners\n(.*?)(?=\n#)/s;
	if (!defined $sec) {
		fail "docs/architecture.md has no \"### Tables and their owners\" section";
	} else {
		my (%doc, %docread);
		while ($sec =~ /^\|\s*((?:`\w+`[,\s]*)+)\|\s*`(src\/[^`]+)`\s*\|(.*)$/mg) {
			my ($ts, $f, $rest) = ($1, $2, $3);
			my $is_read = $rest =~ /\S/;
			while ($ts =~ /`(\w+)`/g) {
				if ($is_read) { $docread{"$f $1"} = 1 } else { $doc{$1} = $f }
			}
		}
		for my $t (sort keys %owner) {
			fail "docs/architecture.md gives $t to " . ($doc{$t} // "no one") . ", this list to $owner{$t}" if ($doc{$t} // "") ne $owner{$t};
		}
		fail "docs/architecture.md gives $_ an owner this list does not have" for grep { !$owner{$_} } sort keys %doc;
		fail "docs/architecture.md does not list the read \"$_\"" for grep { !$docread{$_} } sort keys %read;
		fail "docs/architecture.md lists the read \"$_\", which this list does not allow" for grep { !$read{$_} } sort keys %docread;
	}
}
if ($bad) { print STDERR "owners: see docs/architecture.md, \"Tables and their owners\"\n"; exit 1 }
my $n = keys %owner;
print "owners: $n tables, each named only by its owner\n";
'
