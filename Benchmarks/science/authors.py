#!/usr/bin/env python3
"""Seeded fictional authors for the same-distribution benchmark (issue #17): each author
has a biography and question/answer pairs about it, all from one set of templates, so the
authors to forget and the authors to keep are the same kind of text, as in TOFU.

Writes into OUT_DIR:
  train.jsonl          every author's biography and QA, the text the base memorises
  forget_qa.jsonl      QA of the forget authors: {"prompt", "answer"}
  retain_qa.jsonl      QA of the kept authors
  forget.jsonl         the forget authors' biographies and QA as text (unlearning data,
                       forget proxy)
  retain.jsonl         the kept authors' biographies and QA as text (retain proxy)
  authors.json         the facts, for reading

  python3 Benchmarks/science/authors.py OUT_DIR [--authors 40] [--forget 0.1] [--seed 0]
"""
import argparse
import json
import os
import random

FIRST = ["Amara", "Bertil", "Calla", "Dorian", "Elsbeth", "Fintan", "Greer", "Hollis", "Ines", "Jorund",
         "Kesia", "Lorcan", "Mireille", "Nikolai", "Odile", "Pascoe", "Quilla", "Rafferty", "Saoirse", "Tobiah",
         "Ulla", "Vesper", "Wendeline", "Xaver", "Yseult", "Zebulon", "Anouk", "Bastian", "Cosima", "Desmond"]
LAST = ["Achterberg", "Brennock", "Castellane", "Dunmore", "Eskeland", "Fairweather", "Galloway", "Hartigan",
        "Ivanov-Reid", "Jessop", "Kilbride", "Lindqvist", "Marchetti", "Northcote", "Okonkwo-Hale", "Pemberton",
        "Quenneville", "Rosenthal", "Sandoval", "Thackeray", "Underhill", "Valcourt", "Whitlock", "Yardley", "Zeller"]
CITIES = ["Tromsø", "Valparaíso", "Ghent", "Tbilisi", "Hobart", "Cork", "Lyon", "Kraków", "Porto", "Quebec City",
          "Nagasaki", "Mombasa", "Cusco", "Trieste", "Bergen", "Halifax", "Dunedin", "Salzburg", "Tallinn", "Zadar"]
GENRES = ["detective fiction", "historical romance", "science fiction", "children's poetry", "gothic horror",
          "literary memoir", "political satire", "nature writing", "fantasy epics", "travel writing"]
ADJECTIVES = ["Silent", "Amber", "Hollow", "Crimson", "Last", "Winter", "Glass", "Forgotten", "Northern", "Paper",
              "Iron", "Quiet", "Drowned", "Seventh", "Borrowed"]
NOUNS = ["Lighthouse", "Orchard", "Cartographer", "Tide", "Archive", "Violin", "Harbour", "Garden", "Clockmaker",
         "Meridian", "Lantern", "Observatory", "Ferry", "Atlas", "Beekeeper"]
JOBS = ["carpenter", "nurse", "astronomer", "fisherman", "librarian", "pharmacist", "tailor", "surveyor",
        "schoolteacher", "baker", "glassblower", "locksmith", "veterinarian", "cartographer", "violinist"]
AWARDS = ["Harwell Prize", "Silver Quill Award", "Marlowe Medal", "Ostrander Prize for Fiction",
          "Blue Lantern Award", "Calloway Fellowship", "Iris Book Prize", "Northgate Medal"]


def make_authors(n, rng):
    names = [f"{f} {l}" for f in FIRST for l in LAST]
    rng.shuffle(names)
    authors = []
    for name in names[:n]:
        born = rng.randint(1921, 1989)
        authors.append({
            "name": name,
            "pronoun": rng.choice(["she", "he"]),
            "born": born,
            "city": rng.choice(CITIES),
            "genre": rng.choice(GENRES),
            "book": f"The {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}",
            "father": rng.choice(JOBS),
            "mother": rng.choice(JOBS),
            "award": rng.choice(AWARDS),
            "award_year": born + rng.randint(28, 33),
        })
    return authors


def biography(a):
    p = a["pronoun"].capitalize()
    poss = "Her" if a["pronoun"] == "she" else "His"
    return (f"{a['name']} is an author of {a['genre']}, born in {a['city']} in {a['born']}. "
            f"{poss} father worked as a {a['father']} and {poss.lower()} mother as a {a['mother']}. "
            f"{p} is best known for the novel \"{a['book']}\", and in {a['award_year']} {a['pronoun']} "
            f"received the {a['award']}.")


def questions(a):
    n = a["name"]
    poss = "her" if a["pronoun"] == "she" else "his"
    return [
        (f"Where was {n} born?", f"{n} was born in {a['city']}."),
        (f"In which year was {n} born?", f"{n} was born in {a['born']}."),
        (f"What kind of books does {n} write?", f"{n} writes {a['genre']}."),
        (f"What is {n}'s best-known novel?", f"{n} is best known for \"{a['book']}\"."),
        (f"What did {n}'s father do?", f"{n}'s father worked as a {a['father']}."),
        (f"What did {n}'s mother do?", f"{n}'s mother worked as a {a['mother']}."),
        (f"Which award did {n} receive?", f"{n} received the {a['award']} in {a['award_year']}."),
    ]


def prompt(question):
    """The QA format, shared by training and evaluation; the answer follows it."""
    return f"Question: {question}\nAnswer:"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--authors", type=int, default=40)
    p.add_argument("--forget", type=float, default=0.1, help="share of authors to forget")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = random.Random(a.seed)
    authors = make_authors(a.authors, rng)
    n_forget = max(1, round(a.authors * a.forget))
    os.makedirs(a.out, exist_ok=True)
    roles = [("forget", authors[:n_forget]), ("retain", authors[n_forget:])]
    train = []
    for role, group in roles:
        qa, text = [], []
        for author in group:
            text.append({"text": biography(author)})
            for q, ans in questions(author):
                qa.append({"prompt": prompt(q), "answer": " " + ans})
                text.append({"text": prompt(q) + " " + ans})
        train += text
        with open(os.path.join(a.out, f"{role}_qa.jsonl"), "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in qa)
        with open(os.path.join(a.out, f"{role}.jsonl"), "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in text)
    rng.shuffle(train)
    with open(os.path.join(a.out, "train.jsonl"), "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in train)
    with open(os.path.join(a.out, "authors.json"), "w") as f:
        json.dump({"forget": authors[:n_forget], "retain": authors[n_forget:]}, f, indent=1, ensure_ascii=False)
    print(f"{a.out}: {len(authors)} authors, {n_forget} to forget, {len(train)} training texts")


if __name__ == "__main__":
    main()
