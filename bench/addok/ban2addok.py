#!/usr/bin/env python3
"""BAN CSV (adresses-XX.csv.gz, `;`-separated) -> addok ndjson, the shape of
the BAN "addok" export: one `street` document per (street, postcode) carrying
its house numbers (`housenumbers: {"12 bis": {id, lon, lat, x, y}}`), one
`locality` document per lieu-dit (numero 99999), one `municipality` document
per commune (here: the 20 arrondissements). Standard library only.

usage: ban2addok.py adresses-75.csv.gz > paris.ndjson
"""
import csv
import gzip
import json
import math
import sys
from collections import OrderedDict

DEPT_CONTEXT = {"75": "75, Paris, Île-de-France"}


def street_key(row):
    # id = <citycode>_<street code>_<number>[_<suffix>]
    parts = row["id"].split("_")
    return ("_".join(parts[:2]), row["code_postal"], row["nom_voie"])


def fnum(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def main(path):
    streets = OrderedDict()
    communes = OrderedDict()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            if not row["id"]:
                continue
            dept = row["code_insee"][:2]
            city_full = row["nom_commune"]
            # BAN addok export: Paris/Lyon/Marseille arrondissements have
            # city "Paris" and district "Paris 11e Arrondissement".
            city = city_full.split(" ")[0] if "Arrondissement" in city_full else city_full
            district = city_full if city != city_full else None
            k = street_key(row)
            s = streets.get(k)
            if s is None:
                s = streets[k] = {
                    "id": k[0],
                    "type": "locality" if row["numero"] == "99999" else "street",
                    "name": row["nom_voie"],
                    "postcode": row["code_postal"],
                    "citycode": row["code_insee"],
                    "city": city,
                    "context": DEPT_CONTEXT.get(dept, dept),
                    "housenumbers": {},
                    "_pts": [],
                }
                if district:
                    s["district"] = district
            lon, lat, x, y = (fnum(row[c]) for c in ("lon", "lat", "x", "y"))
            if lon is not None and lat is not None:
                s["_pts"].append((lon, lat, x, y))
            if row["numero"] and row["numero"] != "99999":
                hn = (row["numero"] + " " + row["rep"]).strip()
                s["housenumbers"][hn] = {"id": row["id"], "lon": lon, "lat": lat, "x": x, "y": y}
            c = communes.setdefault(row["code_insee"], {"name": city_full, "postcodes": set(), "pts": [], "n": 0, "city": city, "dept": dept})
            c["postcodes"].add(row["code_postal"])
            c["n"] += 1
            if lon is not None:
                c["pts"].append((lon, lat))
    maxn = max((len(s["housenumbers"]) for s in streets.values()), default=1) or 1
    out = sys.stdout
    for s in streets.values():
        pts = s.pop("_pts")
        if pts:
            s["lon"] = round(sum(p[0] for p in pts) / len(pts), 6)
            s["lat"] = round(sum(p[1] for p in pts) / len(pts), 6)
            if all(p[2] is not None for p in pts):
                s["x"] = round(sum(p[2] for p in pts) / len(pts), 2)
                s["y"] = round(sum(p[3] for p in pts) / len(pts), 2)
        # Importance in [0, 1]: more numbers, more important (the BAN export
        # derives it from the street's size too).
        s["importance"] = round(math.log1p(len(s["housenumbers"])) / math.log1p(maxn), 4)
        if not s["housenumbers"]:
            del s["housenumbers"]
        out.write(json.dumps(s, ensure_ascii=False) + "\n")
    for code, c in communes.items():
        lon = sum(p[0] for p in c["pts"]) / max(len(c["pts"]), 1)
        lat = sum(p[1] for p in c["pts"]) / max(len(c["pts"]), 1)
        doc = {
            "id": code, "type": "municipality", "name": c["name"],
            "postcode": sorted(c["postcodes"]), "citycode": code, "city": c["city"],
            "context": DEPT_CONTEXT.get(c["dept"], c["dept"]),
            "lon": round(lon, 6), "lat": round(lat, 6), "importance": 1.0,
        }
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
