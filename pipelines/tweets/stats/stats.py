"""Daily tweet statistics: aggregate one day of tweets, then check the row.

    python stats.py aggregate --date 2026-01-31
    python stats.py check --date 2026-01-31

Credentials: none in the image. The BigQuery client finds the pod's Google
service account through Workload Identity.
"""

import argparse
import os
import sys

from google.cloud import bigquery

AGGREGATE = """
MERGE `{project}.twitter.daily_stats` AS s
USING (
  SELECT
    @date AS date,
    COUNT(DISTINCT JSON_VALUE(data, '$.id')) AS tweets,
    COUNT(DISTINCT JSON_VALUE(data, '$.author_id')) AS authors
  FROM `{project}.twitter.tweets`
  -- The table is partitioned by publish time; a tweet is published within
  -- seconds of being created, so the day's partitions bound the scan.
  WHERE DATE(publish_time) BETWEEN DATE_SUB(@date, INTERVAL 1 DAY) AND DATE_ADD(@date, INTERVAL 1 DAY)
    AND DATE(TIMESTAMP(JSON_VALUE(data, '$.created_at'))) = @date
) AS d
ON s.date = d.date
WHEN MATCHED THEN UPDATE SET tweets = d.tweets, authors = d.authors
WHEN NOT MATCHED THEN INSERT (date, tweets, authors) VALUES (d.date, d.tweets, d.authors)
"""

CHECK = "SELECT tweets FROM `{project}.twitter.daily_stats` WHERE date = @date"


def run(client: bigquery.Client, sql: str, date: str):
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("date", "DATE", date)]
    )
    return list(client.query(sql.format(project=client.project), job_config=config).result())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["aggregate", "check"])
    parser.add_argument("--date", required=True)
    args = parser.parse_args(argv)
    client = bigquery.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"])
    if args.step == "aggregate":
        run(client, AGGREGATE, args.date)
        return 0
    rows = run(client, CHECK, args.date)
    if not rows or rows[0].tweets == 0:
        print(f"no tweets counted for {args.date}", file=sys.stderr)
        return 1
    print(f"{args.date}: {rows[0].tweets} tweets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
