#!/usr/bin/env bash
# CLI test: scripts/hansards_tokenize.py writes hand-made raw Hansards lines the way the en-fr
# alignment gold does (French elisions and du/des/au/aux written out, punctuation and hyphens
# split, abbreviations kept, the first word lowercased, numbers the English way), --detok gives
# a line that tokenises back.
# Skipped (77) without python3. The tinynmt binary argument is not used.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
tok=scripts/hansards_tokenize.py
[ -f "$tok" ] || fail "$tok not found (run from the repository root)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# raw<TAB>expected, one case a line
check() {
  local lang=$1 n=0 raw want got
  while IFS=$'\t' read -r raw want; do
    n=$((n + 1))
    got=$(printf '%s\n' "$raw" | python3 "$tok" --lang "$lang") || fail "$lang case $n exited non-zero"
    [ "$got" = "$want" ] || fail "$lang case $n: '$raw'"$'\n'"  want: $want"$'\n'"  got:  $got"
    back=$(printf '%s\n' "$want" | python3 "$tok" --lang "$lang" --detok \
      | python3 "$tok" --lang "$lang") || fail "$lang case $n: --detok exited non-zero"
    [ "$back" = "$want" ] || fail "$lang case $n: tokenize(detok(x)) != x: $back"
  done
  [ "$n" -gt 0 ] || fail "no $lang cases read"
}

check fr <<'EOF'
L'honorable député du Québec a dit qu'il n'y a pas d'argent aujourd'hui.	le honorable député de le Québec a dit que il ne y a pas de argent aujourd' hui .
Monsieur le Président, le gouvernement prendra-t-il des mesures au sujet des pêches?	monsieur le Président , le gouvernement prendra il de les mesures à le sujet de les pêches ?
À l'ordre, s'il vous plaît.	a le ordre , se il vous plaît .
Au cours de l'après-midi, M. Charest (Sherbrooke) a parlé aux députés: «C'est fini...»	À le cours de le après - midi , M. Charest ( Sherbrooke ) a parlé à les députés : « Ce est fini ... »
Le projet de loi C-19 coûtera 750 000 $, soit 6,42 % de plus; quelqu'un le sait-il?	le projet de loi C - 19 coûtera $ 750,000 , soit 6.42 % de plus ; quelque un le sait - il ?
Il habite au-dessus du magasin, jusqu'à demain.	il habite au - dessus de le magasin , jusque à demain .
EOF

check en <<'EOF'
Mr. Speaker, I don't think it's the minister's job; can't he see the members' concerns?	Mr. Speaker , I do not think it is the minister 's job ; cannot he see the members ' concerns ?
The House met at 2 p.m.	the House met at 2 p.m.
Hon. John N. Turner (Minister of Finance) moved:	hon. John N . Turner ( Minister of Finance ) moved :
It will cost $750,000--that is, 70% of the budget. ``Really?'' he asked.	it will cost $ 750,000 -- that is , 70 % of the budget . " Really ? " he asked .
Let's see: we're sure the hon. member won't be late for St. John's.	let 's see : we are sure the hon. member will not be late for St. John 's .
CFB Moose Jaw is a hang-up, said Mrs. O'Reilly at 5 o'clock.	CFB Moose Jaw is a hang - up , said Mrs. O'Reilly at 5 o'clock .
No. Motion No. 14, as amended, is carried.	no . Motion No. 14 , as amended , is carried .
EOF

# an empty line stays one empty line; a bad option is one error line and exit 2
[ "$(printf 'a.\n\nb.\n' | python3 "$tok" --lang en | wc -l)" = 3 ] || fail "line count changed"
python3 "$tok" --lang de </dev/null 2>"$tmp/err" && fail "--lang de accepted"
grep -q "invalid choice" "$tmp/err" || fail "no clear error for --lang de: $(cat "$tmp/err")"
echo "hansards_tokenize: all cases pass"
