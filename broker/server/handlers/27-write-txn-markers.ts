import { Apis } from "../../protocol/apis.ts";
import { appendMarkerLocally, MARKER_ACK_TIMEOUT_MS } from "../transactions/txn-marker-channel.ts";
import { defineHandler } from "./handler.ts";

/** A coordinator's markers for partitions this broker leads: each answered once the ISR has it. */
export const writeTxnMarkersHandler = defineHandler(Apis.WriteTxnMarkers, async (request, { broker }) => {
  const context = { topics: broker.topics, groups: broker.groups, timeoutMs: MARKER_ACK_TIMEOUT_MS };
  return {
    markers: await Promise.all(
      request.markers.map(async (marker) => ({
        producerId: marker.producerId,
        topics: await Promise.all(
          marker.topics.map(async (topic) => ({
            name: topic.name,
            partitions: await Promise.all(
              topic.partitionIndexes.map(async (partitionIndex) => ({
                partitionIndex,
                errorCode: await appendMarkerLocally(context, topic.name, partitionIndex, {
                  producerId: marker.producerId,
                  producerEpoch: marker.producerEpoch,
                  coordinatorEpoch: marker.coordinatorEpoch,
                  commit: marker.transactionResult,
                }),
              })),
            ),
          })),
        ),
      })),
    ),
  };
});
