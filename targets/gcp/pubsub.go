package gcp

import (
	"maps"
	"slices"

	"github.com/pipec/pipec/schema"
)

// topic is a Pub/Sub topic.
type topic struct {
	id, name string
	t        *schema.Topic
	labels   map[string]string
}

// subscription is a Pub/Sub subscription. Its topic, dead-letter topic,
// BigQuery table and bucket are resolved here once.
type subscription struct {
	id, name   string
	s          *schema.Subscription
	labels     map[string]string
	topic      *topic
	deadLetter *topic
	table      *table
	bucket     *bucket
}

func (e *env) pubsub() {
	byID := map[string]*topic{}
	for _, id := range slices.Sorted(maps.Keys(e.p.Topics)) {
		t := e.p.Topics[id]
		tp := &topic{id: id, name: label(id), t: t, labels: e.merged(t.Labels)}
		byID[id] = tp
		e.topics = append(e.topics, tp)
	}
	for _, id := range slices.Sorted(maps.Keys(e.p.Subscriptions)) {
		s := e.p.Subscriptions[id]
		sub := &subscription{id: id, name: label(id), s: s, labels: e.merged(s.Labels), topic: byID[s.Topic]}
		if s.DeadLetter != nil {
			sub.deadLetter = byID[s.DeadLetter.Topic]
		}
		if s.BigQuery != nil {
			sub.table = e.table(s.BigQuery.Table)
		}
		if s.CloudStorage != nil {
			for _, b := range e.buckets {
				if b.id == s.CloudStorage.Bucket {
					sub.bucket = b
				}
			}
		}
		e.subs = append(e.subs, sub)
	}
}

// retainsMessages reports whether a topic stores messages itself (for
// replay), which makes it data to keep.
func (t *topic) retainsMessages() bool { return t.t.Retention > 0 }

func (e *env) pubsubObjects() error {
	for _, t := range e.topics {
		spec := map[string]any{"resourceID": t.id}
		if t.retainsMessages() {
			spec["messageRetentionDuration"] = seconds(t.t.Retention)
		}
		if err := e.add("PubSubTopic", t.name, "topic "+t.id, spec, annotations(e.p.Project, t.retainsMessages()), t.labels); err != nil {
			return err
		}
	}
	for _, sub := range e.subs {
		s := sub.s
		spec := map[string]any{
			"resourceID":               sub.id,
			"topicRef":                 map[string]any{"name": sub.topic.name},
			"ackDeadlineSeconds":       int64(s.AckDeadline),
			"messageRetentionDuration": seconds(s.Retention),
		}
		if s.RetainAcked {
			spec["retainAckedMessages"] = true
		}
		if s.Filter != "" {
			spec["filter"] = s.Filter
		}
		if s.Ordering {
			spec["enableMessageOrdering"] = true
		}
		if s.ExactlyOnce {
			spec["enableExactlyOnceDelivery"] = true
		}
		// Left unset, Pub/Sub deletes a subscription after 31 days without
		// subscribers, so "never" is written out: an empty ttl.
		ttl := ""
		if s.Expiration != schema.Never && s.Expiration > 0 {
			ttl = seconds(s.Expiration)
		}
		spec["expirationPolicy"] = map[string]any{"ttl": ttl}
		if r := s.Retry; r != nil {
			spec["retryPolicy"] = map[string]any{
				"minimumBackoff": seconds(r.MinBackoff),
				"maximumBackoff": seconds(r.MaxBackoff),
			}
		}
		if dl := s.DeadLetter; dl != nil {
			spec["deadLetterPolicy"] = map[string]any{
				"deadLetterTopicRef":  map[string]any{"name": sub.deadLetter.name},
				"maxDeliveryAttempts": int64(dl.MaxAttempts),
			}
		}
		switch {
		case s.Push != nil:
			spec["pushConfig"] = map[string]any{"pushEndpoint": s.Push.Endpoint}
		case s.BigQuery != nil:
			bq := map[string]any{"tableRef": map[string]any{"name": sub.table.name}}
			if s.BigQuery.WriteMetadata {
				bq["writeMetadata"] = true
			}
			spec["bigqueryConfig"] = bq
		case s.CloudStorage != nil:
			cs := map[string]any{
				"bucketRef":   map[string]any{"name": sub.bucket.name},
				"maxDuration": seconds(s.CloudStorage.MaxDuration),
			}
			if s.CloudStorage.FilenamePrefix != "" {
				cs["filenamePrefix"] = s.CloudStorage.FilenamePrefix
			}
			spec["cloudStorageConfig"] = cs
		}
		// A subscription's backlog is data: unacknowledged (and retained)
		// messages would be lost with it.
		if err := e.add("PubSubSubscription", sub.name, "subscription "+sub.id, spec, annotations(e.p.Project, true), sub.labels); err != nil {
			return err
		}
	}
	return nil
}
