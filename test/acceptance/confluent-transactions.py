"""librdkafka's transactional producer (python3-confluent-kafka) against the broker, driven by
test/acceptance/librdkafka-transactions.test.ts, which asserts on the JSON this prints.

Usage: confluent-transactions.py <bootstrap> <topic> <output-topic> <transactional-id> <group-prefix>

1. A committed transaction, an aborted one, a committed one on <topic>.
2. What a read_committed and a read_uncommitted consumer read of <topic> (to the end).
3. Consume-transform-produce: <topic>'s read_committed records doubled into <output-topic>, the
   consumer's offsets sent in each transaction; the last transaction is aborted.
4. The group's committed offsets and what read_committed reads of <output-topic>.
"""

import json
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

bootstrap, topic, output_topic, transactional_id, group_prefix = sys.argv[1:6]
TIMEOUT_S = 30


def producer(txid):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txid, "linger.ms": 0})
    p.init_transactions(TIMEOUT_S)
    return p


def transaction(p, topic_name, values, commit):
    p.begin_transaction()
    for value in values:
        p.produce(topic_name, value=value.encode())
    if commit:
        p.commit_transaction(TIMEOUT_S)
    else:
        p.flush(TIMEOUT_S)
        p.abort_transaction(TIMEOUT_S)


def consumer(group, isolation, auto_commit=True):
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "isolation.level": isolation,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": True,
            "enable.auto.commit": auto_commit,
        }
    )
    return c


def read_to_end(c, topic_name):
    """Every record of the single-partition topic up to its end, as (offset, value)."""
    c.subscribe([topic_name])
    seen = []
    for _ in range(600):
        message = c.poll(0.1)
        if message is None:
            continue
        if message.error():
            if message.error().code() == -191:  # _PARTITION_EOF
                return seen
            raise KafkaException(message.error())
        seen.append([message.offset(), message.value().decode()])
    raise RuntimeError(f"no end of {topic_name} after 60 s; read {seen}")


result = {}
p = producer(transactional_id)
transaction(p, topic, ["c1", "c2", "c3"], commit=True)
transaction(p, topic, ["a1", "a2"], commit=False)
transaction(p, topic, ["c4"], commit=True)

committed_reader = consumer(group_prefix + "-committed", "read_committed")
result["readCommitted"] = read_to_end(committed_reader, topic)
committed_reader.close()
uncommitted_reader = consumer(group_prefix + "-uncommitted", "read_uncommitted")
result["readUncommitted"] = read_to_end(uncommitted_reader, topic)
uncommitted_reader.close()

group = group_prefix + "-ctp"
source = consumer(group, "read_committed", auto_commit=False)
source.subscribe([topic])
handled = 0
while handled < 4:
    message = source.poll(1.0)
    if message is None or message.error():
        continue
    value = message.value().decode()
    p.begin_transaction()
    p.produce(output_topic, value=("doubled " + value).encode())
    p.send_offsets_to_transaction(
        source.position(source.assignment()), source.consumer_group_metadata(), TIMEOUT_S
    )
    if handled < 3:
        p.commit_transaction(TIMEOUT_S)
    else:
        p.abort_transaction(TIMEOUT_S)
    handled += 1
committed = source.committed([TopicPartition(topic, 0)], TIMEOUT_S)
result["ctpCommitted"] = committed[0].offset
source.close()

output_reader = consumer(group_prefix + "-output", "read_committed")
result["output"] = [value for _, value in read_to_end(output_reader, output_topic)]
output_reader.close()

print(json.dumps(result))
