"""Loads one day of shop orders, or of exchange rates, into BigQuery.

    python extract.py orders --date 2026-01-01
    python extract.py fx-rates --date 2026-01-01

Legacy code pinned to pandas 1.5: it grows frames with DataFrame.append,
which pandas 2 removed. It runs in its own image, on Python 3.10, so the
rest of the pipeline can move on without it.

Credentials: none in the image. BigQuery is reached as the DAG's Google
service account through Workload Identity; the shop's API token arrives in
SHOP_API_TOKEN, synced from Secret Manager.
"""

import argparse
import datetime
import os
import sys

import pandas as pd
import requests
from google.cloud import bigquery

ORDER_COLUMNS = ["order_id", "ordered_at", "country", "currency", "amount_minor"]


def fetch_orders(day: datetime.date) -> pd.DataFrame:
    """Every order placed on day (UTC), following the API's pages."""
    url = os.environ["SHOP_API_URL"].rstrip("/") + "/orders"
    headers = {"Authorization": "Bearer " + os.environ["SHOP_API_TOKEN"]}
    frame = pd.DataFrame(columns=ORDER_COLUMNS)
    params = {"date": day.isoformat()}
    while True:
        response = requests.get(url, headers=headers, params=params, timeout=30)
        response.raise_for_status()
        body = response.json()
        for order in body["orders"]:
            frame = frame.append(
                {
                    "order_id": str(order["id"]),
                    "ordered_at": order["created_at"],
                    "country": order.get("country"),
                    "currency": order["currency"],
                    "amount_minor": int(order["total_minor"]),
                },
                ignore_index=True,
            )
        if not body.get("next_page_token"):
            break
        params["page_token"] = body["next_page_token"]
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"], utc=True)
    frame["amount_minor"] = frame["amount_minor"].astype("int64")
    return frame


def fetch_fx_rates(day: datetime.date) -> pd.DataFrame:
    """The day's reference rates, as won per unit of each currency."""
    url = os.environ["FX_API_URL"].rstrip("/") + "/" + day.isoformat()
    response = requests.get(url, params={"from": "KRW"}, timeout=30)
    response.raise_for_status()
    frame = pd.DataFrame(columns=["date", "currency", "rate_to_krw"])
    for currency, per_won in sorted(response.json()["rates"].items()):
        frame = frame.append(
            {"date": day, "currency": currency, "rate_to_krw": 1 / per_won},
            ignore_index=True,
        )
    frame["rate_to_krw"] = frame["rate_to_krw"].astype("float64")
    return frame


def load(frame: pd.DataFrame, table: str, day: datetime.date) -> None:
    """Replaces the day's partition of table, so a retry or a backfill of
    the same day never loads it twice."""
    client = bigquery.Client()  # the project comes from GOOGLE_CLOUD_PROJECT
    destination = f"{client.project}.{table}${day:%Y%m%d}"
    config = bigquery.LoadJobConfig(write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE)
    client.load_table_from_dataframe(frame, destination, job_config=config).result()
    print(f"loaded {len(frame)} rows into {destination}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", choices=["orders", "fx-rates"])
    parser.add_argument("--date", required=True, type=datetime.date.fromisoformat)
    args = parser.parse_args()
    if args.source == "orders":
        load(fetch_orders(args.date), "raw.orders", args.date)
    else:
        load(fetch_fx_rates(args.date), "raw.fx_rates", args.date)
    return 0


if __name__ == "__main__":
    sys.exit(main())
