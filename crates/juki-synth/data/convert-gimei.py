#!/usr/bin/env python3
"""One-off conversion of gimei's names.yml into the TSVs beside this script.

Usage: python3 convert-gimei.py PATH/TO/gimei-0.2.0/src/data/names.yml

Keeps kanji and katakana (drops hiragana), skips entries whose reading is not full-width
katakana (ー allowed) or whose name is not Japanese script, removes exact duplicates, moves
the twenty most common family names to the top in order of frequency (the generator weighs
family names by rank), and appends a few names with 々, ヶ, ノ, ツ and variant kanji.
Python 3 standard library only; see docs/synth.md.
"""
import os
import re
import sys
import unicodedata

TOP_FAMILY = "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水".split()
EXTRA = {
    "family_names": [
        ("髙橋", "タカハシ"), ("山﨑", "ヤマザキ"), ("渡邊", "ワタナベ"), ("齋藤", "サイトウ"),
        ("澤田", "サワダ"), ("一ノ瀬", "イチノセ"), ("木ノ下", "キノシタ"), ("山ノ内", "ヤマノウチ"),
        ("野々村", "ノノムラ"), ("千ヶ崎", "チガサキ"), ("三ヶ尻", "ミカジリ"), ("八ツ橋", "ヤツハシ"),
    ],
}
SECTIONS = {"  male:": "given_names_male", "  female:": "given_names_female", "last_name:": "family_names"}
ENTRY = re.compile(r"^\s*- \['([^']*)', '([^']*)', '([^']*)'\]$")


def is_reading(s):
    return bool(s) and all(0x30A1 <= ord(c) <= 0x30FA or c == "ー" for c in s)


def is_name(s):
    ok = lambda c: (0x4E00 <= ord(c) <= 0x9FFF or 0x3400 <= ord(c) <= 0x4DBF or 0xF900 <= ord(c) <= 0xFAFF
                    or 0x20000 <= ord(c) <= 0x3FFFF or 0x3041 <= ord(c) <= 0x3096 or 0x30A1 <= ord(c) <= 0x30FA
                    or c in "ー々〆")
    return bool(s) and unicodedata.normalize("NFC", s) == s and all(ok(c) for c in s)


def main(src):
    lists, current = {}, None
    with open(src, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line in SECTIONS:
                current = SECTIONS[line]
            elif (m := ENTRY.match(line)) and current:
                lists.setdefault(current, []).append((m.group(1), m.group(3)))
    out_dir = os.path.dirname(os.path.abspath(__file__))
    for name, rows in lists.items():
        kept, seen = [], set()
        for kanji, kana in rows + EXTRA.get(name, []):
            if is_reading(kana) and is_name(kanji) and (kanji, kana) not in seen:
                seen.add((kanji, kana))
                kept.append((kanji, kana))
            else:
                print(f"skipped {name}: {kanji} {kana}", file=sys.stderr)
        if name == "family_names":
            by = {k: (k, r) for k, r in kept}
            kept = [by[k] for k in TOP_FAMILY] + [e for e in kept if e[0] not in TOP_FAMILY]
        with open(os.path.join(out_dir, f"{name}.tsv"), "w", encoding="utf-8") as f:
            f.writelines(f"{k}\t{r}\n" for k, r in kept)
        print(f"{name}: {len(rows)} -> {len(kept)}")


if __name__ == "__main__":
    main(sys.argv[1])
