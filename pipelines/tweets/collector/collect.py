"""Streams tweets matching a rule set and publishes each one to Pub/Sub.

Credentials: none in the image. The Pub/Sub client finds the pod's Google
service account through Workload Identity; the Twitter token arrives as an
environment variable synced from Secret Manager.
"""

import json
import os
import signal
import sys

import tweepy
from google.cloud import pubsub_v1


def topic_path(publisher: pubsub_v1.PublisherClient) -> str:
    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    return publisher.topic_path(project, os.environ["PUBSUB_TOPIC"])


class Forwarder(tweepy.StreamingClient):
    """Publishes every tweet it receives, keyed by author for ordering."""

    def __init__(self, token: str, publisher: pubsub_v1.PublisherClient, topic: str):
        super().__init__(token, wait_on_rate_limit=True)
        self.publisher = publisher
        self.topic = topic

    def on_tweet(self, tweet: tweepy.Tweet) -> None:
        row = {
            "id": str(tweet.id),
            "text": tweet.text,
            "author_id": str(tweet.author_id or ""),
            "created_at": tweet.created_at.isoformat() if tweet.created_at else None,
        }
        self.publisher.publish(self.topic, json.dumps(row).encode("utf-8"))

    def on_errors(self, errors) -> None:
        print(f"stream errors: {errors}", file=sys.stderr)


def main() -> int:
    publisher = pubsub_v1.PublisherClient()
    stream = Forwarder(os.environ["TWITTER_BEARER_TOKEN"], publisher, topic_path(publisher))
    signal.signal(signal.SIGTERM, lambda *_: stream.disconnect())
    stream.filter(tweet_fields=["author_id", "created_at"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
