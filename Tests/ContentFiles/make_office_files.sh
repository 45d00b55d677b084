#!/usr/bin/env bash
# make_office_files.sh DIR — the files of a small office, each made by the real tool that makes such
# files: prose (a licence text), a CSV, a Word document and a spreadsheet (Office Open XML packages
# zipped by Info-ZIP), a PDF and a PNG (printed and screenshotted by headless Chromium), a SQLite
# database (sqlite3), a shared library (the system's libz) and a gzip stream (gzip). `file(1)` names
# each one's format. They land in DIR/office.
# Then DIR/enc holds each file encrypted with `openssl enc -aes-256-cbc` under its own name, under its
# name plus `.locky`, and under its name plus a random extension, as ransomware leaves them.
set -euo pipefail
dir=$1
mkdir -p "$dir/office" "$dir/enc"
cd "$dir/office"
cat /usr/share/common-licenses/GPL-3 > letter.txt
seq 1 3000 | awk '{ printf "%d,customer-%d,%.2f\n", $1, $1, $1 * 17.5 }' > ledger.csv
ooxml() { # ooxml NAME.docx|xlsx PART BODY
  local work; work=$(mktemp -d)
  mkdir -p "$work/_rels" "$work/$(dirname "$2")"
  printf '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' > "$work/[Content_Types].xml"
  printf '<?xml version="1.0" encoding="UTF-8"?><Relationships/>' > "$work/_rels/.rels"
  printf '%s' "$3" > "$work/$2"
  (cd "$work" && zip -q -r -X "$OLDPWD/$1" .)
  rm -rf "$work"
}
ooxml letter.docx word/document.xml "<w:document><w:body><w:p>$(head -c 20000 letter.txt | tr -d '<>&')</w:p></w:body></w:document>"
ooxml budget.xlsx xl/worksheets/sheet1.xml "<worksheet><sheetData>$(seq 1 800 | sed 's|.*|<row><c><v>&</v></c></row>|' | tr -d '\n')</sheetData></worksheet>"
sqlite3 customers.sqlite "create table customer(id integer primary key, name text);
  with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000) insert into customer select i, 'customer ' || i from n;"
cp "$(ls /usr/lib/*/libz.so.1.* | head -1)" libz.so
gzip -c letter.txt > letter.txt.gz
printf '<h1>Quarterly report</h1><p>Revenue is up; costs are down.</p>' > page.html
chrome=(chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$dir/chromium-profile")
timeout 120 "${chrome[@]}" --print-to-pdf=report.pdf page.html 2>/dev/null
timeout 120 "${chrome[@]}" --screenshot=chart.png --window-size=400,300 page.html 2>/dev/null
rm page.html
for file in *; do
  for name in "$file" "$file.locky" "$file.x7k2q9"; do
    openssl enc -aes-256-cbc -pbkdf2 -pass pass:ransom -in "$file" -out "../enc/$name"
  done
done
