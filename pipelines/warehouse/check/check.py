"""Fails the DAG run when a day's revenue looks wrong.

    python check.py --date 2026-01-01

A day with no rows, or with a negative total, is reported and exits 1, so
the run shows failed instead of feeding a dashboard bad numbers.

Credentials: none in the image. BigQuery is reached as the DAG's Google
service account through Workload Identity.
"""

import argparse
import datetime
import sys

from google.cloud import bigquery

QUERY = """
SELECT COUNT(*) AS countries, COUNTIF(revenue_krw < 0) AS negative
FROM `{project}.mart.daily_revenue`
WHERE date = @day
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", required=True, type=datetime.date.fromisoformat)
    args = parser.parse_args()

    client = bigquery.Client()  # the project comes from GOOGLE_CLOUD_PROJECT
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("day", "DATE", args.date)]
    )
    row = next(iter(client.query(QUERY.format(project=client.project), job_config=config).result()))
    problems = []
    if row.countries == 0:
        problems.append("no revenue rows")
    if row.negative:
        problems.append(f"{row.negative} countries with negative revenue")
    if problems:
        print(f"mart.daily_revenue on {args.date}: {'; '.join(problems)}", file=sys.stderr)
        return 1
    print(f"mart.daily_revenue on {args.date}: {row.countries} countries, all non-negative")
    return 0


if __name__ == "__main__":
    sys.exit(main())
