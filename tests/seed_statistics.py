"""The statistics sections of the two 2010-11 seed reports, copied verbatim (tabs kept).

Copied from the published PDFs' text so that tests can compare what the report pages render
with what was published, independently of the demo data files. <b> tags, &amp; and separator
lines of the PDF extraction are removed.
"""

import re

SEED_STATISTICS = {
    "kent": """
MAPPA-eligible offenders on 31 March 2011
	Category 1: Registered sex offenders	Category 2: Violent offenders	Category 3: Other dangerous offenders	Total
Level 1	1185	349	-	1534
Level 2	53	74	29	156
Level 3	1	0	0	1
Total	1239	423	29	1691

MAPPA-eligible offenders in Levels 2 and 3 by category (yearly total)
	Category 1: Registered sex offenders	Category 2: Violent offenders	Category 3: Other dangerous offenders	Total
Level 2	118	230	29	377
Level 3	5	6	0	11
Total	123	236	29	388

RSOs cautioned or convicted for breach of notification requirements	22

Restrictive orders for Category 1 offenders
SOPOs, NOs & FTOs imposed by the courts
SOPOs	146
NOs	4
FTOs	2

Level 2 and 3 offenders returned to custody for breach of licence or sent to custody for breach of SOPO
	Category 1: Registered sex offenders	Category 2: Violent offenders	Category 3: Other dangerous offenders	Total
Breach of licence
Level 2	6	14	1	21
Level 3	2	1	0	3
Total	8	15	1	24
Breach of SOPO
Level 2	7	-	-	7
Level 3	0	-	-	0
Total	7	-	-	7

Total number of Registered Sexual Offenders per 100,000 population	83
""",
    "cambridgeshire-and-peterborough": """
MAPPA-eligible offenders on 31 March 2011
	Category 1: Registered sex offenders	Category 2: Violent offenders	Category 3: Other dangerous offenders	Total
Level 1	512	154	-	666
Level 2	31	22	5	58
Level 3	2	0	0	2
Total	545	176	5	726

MAPPA-eligible offenders in Levels 2 and 3 by category (yearly total)
	Category 1: Registered sex offenders	Category 2: Violent offenders	Category 3: Other dangerous offenders	Total
Level 2	65	42	15	122
Level 3	2	1	4	7
Total	67	43	19	129

RSOs cautioned or convicted for breach of notification requirements	2

Restrictive orders for Category 1 offenders
SOPOs, NOs & FTOs imposed by the courts
SOPOs	44
NOs	4
FTOs	0

Level 2 and 3 offenders returned to custody for breach of licence or sent to custody for breach of SOPO
	Category 1: Registered sex offenders	Category 2: Violent offenders	Category 3: Other dangerous offenders	Total
Breach of licence
Level 2	3	8	1	12
Level 3	0	0	0	0
Total	3	8	1	12
Breach of SOPO
Level 2	1	-	-	1
Level 3	0	-	-	0
Total	1	-	-	1

Total number of Registered Sexual Offenders per 100,000 population	78
""",
}


def seed_figures(slug: str, *, as_printed: bool = False) -> list[list[str]]:
    """The figures of each seed table, in reading order: as the service's tables show them
    (thousands with commas), or `as_printed` in the seed (the report page: no commas)."""
    tables = []
    for block in SEED_STATISTICS[slug].strip().split("\n\n"):
        cells = []
        for line in block.splitlines():
            for text in line.split("\t")[1:]:
                if re.fullmatch(r"\d+", text):
                    cells.append(text if as_printed else f"{int(text):,}")
                elif text == "-":
                    cells.append("-")
        tables.append(cells)
    return tables
