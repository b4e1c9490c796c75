#!/usr/bin/env python3
"""Writes a CSV of N customers for the duplicate finder's bench: nine in
ten distinct people (names from 300 first names and 3,000 generated last
names, so that a name block holds about as many people as in a real
customer base), one in ten a duplicate of one of them as real data holds
it (a `+tag` email, a short first name at the same company domain, a
typo at the same address, a phone under another prefix). Deterministic.

    bench/duplicates_csv.py 100000 > /tmp/dups.csv
"""

import csv
import random
import sys

SHORT = {
    "William": "Bill", "Robert": "Bob", "Elizabeth": "Liz", "Katherine": "Kate",
    "Michael": "Mike", "James": "Jim", "Thomas": "Tom", "Richard": "Rick",
    "Margaret": "Maggie", "Jonathan": "Jon", "Alexander": "Alex", "Daniel": "Dan",
    "Jennifer": "Jen", "Nicholas": "Nick", "Stephen": "Steve", "Susan": "Sue",
}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(7)
    syllables = ["ka", "lo", "mi", "ne", "ra", "sto", "ber", "win", "del", "gar", "ton", "vik",
                 "sen", "mar", "lin", "hol", "dor", "fel", "bru", "cas"]
    lasts = sorted({"".join(rng.choice(syllables) for _ in range(rng.choice([2, 3]))).capitalize()
                    for _ in range(4_000)})[:3_000]
    firsts = list(SHORT) + [f"{rng.choice(syllables).capitalize()}{rng.choice(syllables)}a"
                            for _ in range(284)]
    out = csv.writer(sys.stdout)
    out.writerow(["first_name", "last_name", "email", "phone", "company_name",
                  "address_line1", "postal_code", "city", "country"])
    people = []
    for i in range(n - n // 10):
        first, last = rng.choice(firsts), rng.choice(lasts)
        domain = "gmail.com" if i % 3 == 0 else f"firm{i // 4}.example"
        person = [first, last, f"{first.lower()}.{last.lower()}{i}@{domain}",
                  f"+49151{10_000_000 + i * 7:08d}", f"Firm {i // 4} GmbH",
                  f"Street {i}", f"{10000 + i % 89999:05d}", "Berlin", "DE"]
        people.append(person)
        out.writerow(person)
    for j in range(n // 10):
        p = rng.choice(people)
        first, last, email, phone = p[0], p[1], p[2], p[3]
        local, domain = email.split("@")
        kind = j % 4
        if kind == 0:
            row = [first, last, f"{local}+{j}@{domain}", "", "", "", "", "", ""]
        elif kind == 1:
            row = [SHORT.get(first, first), last, f"dup{j}.{local}@{domain}", "", p[4], "", "", "", ""]
        elif kind == 2:
            typo = last[:-1] + ("y" if last[-1] != "y" else "i")
            row = [first, typo, f"dup{j}@mail{j}.example", "", "", p[5], p[6], p[7], p[8]]
        else:
            row = [first, last, f"dup{j}@other{j}.example", "+49171" + phone[-8:], "", "", "", "", ""]
        out.writerow(row)


if __name__ == "__main__":
    main()
