#!/usr/bin/env bash
# Runs every Gantry test (unit, integration against real crun/overlayfs/registries, the tutorials'
# acceptance suite) and ends with the line `N passed, N failed[, N skipped]`.
# Exits non-zero when any test fails or a test project does not build.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
results="$here/TestResults"
rm -rf "$results"
mkdir -p "$results"

export GANTRY_REPO="$here"
dotnet build Gantry.slnx -c Debug -nologo -v quiet -clp:ErrorsOnly
build_rc=$?
if [ $build_rc -ne 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test Gantry.slnx -c Debug --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" 2>&1 | tee "$results/console.log" |
  awk '/Error Message/ { print; more = 3; next } more > 0 { print; more--; next } /^[[:space:]]*(Failed|Skipped) |Passed!|Failed!|^[[:space:]]+at Gantry/ { print } { fflush() }' | head -n 400
test_rc=${PIPESTATUS[0]}

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
# Skipped tests print their reason above (grep '^\s*Skipped ').
# Failed tests are named again here, with their message's first lines, so the end of the log says
# which test failed and why even when only the tail is kept.
if [ "$failed" -gt 0 ]; then
  perl -0777 -ne '
    while (/<UnitTestResult [^>]*?testName="([^"]*)"[^>]*?outcome="Failed"[^>]*>(.*?)<\/UnitTestResult>/sg) {
      my ($name, $body) = ($1, $2);
      my ($msg) = $body =~ /<Message>(.*?)<\/Message>/s;
      for ($name, $msg) { next unless defined; s/&quot;/"/g; s/&apos;/\x27/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/&/g; }
      $msg = defined $msg ? join(" | ", (grep { /\S/ } split /\n/, $msg)[0..3]) : "(no message)";
      $msg =~ s/( \| )+$//; $msg = substr($msg, 0, 600);
      print "FAILED $name: $msg\n";
    }' "$results"/*.trx
fi
if [ $test_rc -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] && [ $test_rc -eq 0 ]
