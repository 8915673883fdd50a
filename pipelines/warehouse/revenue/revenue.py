"""Builds one day of revenue per country, in won, from orders and rates.

    python revenue.py --date 2026-01-01

Needs pandas 2.2 (Series.case_when) on Python 3.12; it runs in its own
image, so the pandas 1.5 extractor does not hold it back.

Credentials: none in the image. BigQuery is reached as the DAG's Google
service account through Workload Identity.
"""

import argparse
import datetime
import sys

import pandas as pd
from google.cloud import bigquery

ORDERS = """
SELECT order_id, country, currency, amount_minor
FROM `{project}.raw.orders`
WHERE DATE(ordered_at) = @day
"""

RATES = """
SELECT currency, rate_to_krw
FROM `{project}.raw.fx_rates`
WHERE date = @day
"""

# Currencies whose minor unit is not a hundredth (ISO 4217).
NO_MINOR_UNIT = ["KRW", "JPY"]
THOUSANDTHS = ["BHD", "KWD"]


def revenue(orders: pd.DataFrame, rates: pd.DataFrame, day: datetime.date) -> pd.DataFrame:
    rates = pd.concat([rates, pd.DataFrame({"currency": ["KRW"], "rate_to_krw": [1.0]})])
    rows = orders.merge(rates, on="currency", how="left", validate="many_to_one")
    missing = sorted(rows.loc[rows["rate_to_krw"].isna(), "currency"].unique())
    if missing:
        raise ValueError(f"no exchange rate on {day} for {', '.join(missing)}")
    exponent = pd.Series(2, index=rows.index).case_when(
        [(rows["currency"].isin(NO_MINOR_UNIT), 0), (rows["currency"].isin(THOUSANDTHS), 3)]
    )
    units = rows["amount_minor"] / 10.0**exponent
    rows["revenue_krw"] = (units * rows["rate_to_krw"]).round().astype("int64")
    daily = (
        rows.groupby("country", dropna=False)
        .agg(orders=("order_id", "nunique"), revenue_krw=("revenue_krw", "sum"))
        .reset_index()
    )
    daily.insert(0, "date", day)
    return daily


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", required=True, type=datetime.date.fromisoformat)
    args = parser.parse_args()

    client = bigquery.Client()  # the project comes from GOOGLE_CLOUD_PROJECT
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("day", "DATE", args.date)]
    )
    orders = client.query(ORDERS.format(project=client.project), job_config=config).to_dataframe()
    rates = client.query(RATES.format(project=client.project), job_config=config).to_dataframe()
    daily = revenue(orders, rates, args.date)

    # Replace the day's partition, so a retry or a backfill is idempotent.
    destination = f"{client.project}.mart.daily_revenue${args.date:%Y%m%d}"
    load = bigquery.LoadJobConfig(write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE)
    client.load_table_from_dataframe(daily, destination, job_config=load).result()
    print(f"{len(orders)} orders, {len(daily)} countries, into {destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
