"""Reflection through SQLAlchemy, pandas and psycopg2 named cursors.

Run by e2e/pgcatalog_test.go against PostgreSQL and modelsql; prints one JSON
document whose parts the test compares. Usage: reflect.py URL TABLE
"""
import json
import sys

import pandas as pd
import psycopg2
import sqlalchemy as sa

url, table = sys.argv[1], sys.argv[2]
out = {}
eng = sa.create_engine(url)
insp = sa.inspect(eng)
out["table_names"] = sorted(insp.get_table_names())
out["view_names"] = sorted(insp.get_view_names())
out["columns"] = [
    {"name": c["name"], "type": str(c["type"]), "nullable": c["nullable"]}
    for c in insp.get_columns(table)
]
out["pk"] = insp.get_pk_constraint(table)["constrained_columns"]
out["indexes"] = sorted(
    (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table)
)
md = sa.MetaData()
t = sa.Table(table, md, autoload_with=eng)
out["autoload"] = [(c.name, str(c.type)) for c in t.columns]
df = pd.read_sql_table(table, eng)
out["read_sql_table"] = {"columns": list(df.columns), "rows": len(df)}
pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]}).to_sql("pd_out", eng, if_exists="replace", index=False)
pd.DataFrame({"x": [4, 5], "y": ["d", "e"]}).to_sql("pd_out", eng, if_exists="replace", index=False)
out["to_sql"] = pd.read_sql_query("SELECT x, y FROM pd_out ORDER BY x", eng).values.tolist()
with eng.connect() as c:
    r = c.execution_options(stream_results=True).execute(sa.text("SELECT i FROM generate_series(0, 2499) AS g(i)"))
    out["stream_results"] = sum(1 for _ in r)
print(json.dumps(out, default=str, sort_keys=True))
