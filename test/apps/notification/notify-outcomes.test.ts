import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { notificationMessage } from "../../../apps/notification/notify-outcomes.ts";
import { outcomeEvent } from "../../helpers/outcome-events.ts";

describe("notification messages", () => {
  it("when a charge is applied, then the user earned its points at the named store", () => {
    const event = outcomeEvent({ eventId: "e1", type: "charge", amount: 500, balanceAfter: 500 });
    assert.equal(notificationMessage(event, "Store 3"), "500 points earned at Store 3");
  });

  it("when a deduction is applied, then the user redeemed its points at the named store", () => {
    const event = outcomeEvent({ eventId: "e1", type: "deduct", amount: 900, balanceAfter: 100 });
    assert.equal(notificationMessage(event, "Store 3"), "900 points redeemed at Store 3");
  });

  it("when a deduction is rejected, then the message gives the amount and the unchanged balance", () => {
    const event = outcomeEvent({
      eventId: "e1",
      type: "deduct",
      status: "rejected",
      amount: 900,
      balanceAfter: 400,
      reason: "insufficient balance",
    });
    assert.equal(notificationMessage(event, "Store 3"), "deduction of 900 rejected: balance 400");
  });

  it("when a charge is rejected, then the message says so the same way", () => {
    const event = outcomeEvent({ eventId: "e1", type: "charge", status: "rejected", amount: 500, balanceAfter: 400 });
    assert.equal(notificationMessage(event, "Store 3"), "charge of 500 rejected: balance 400");
  });

  it("when the store's name is unknown, then the store id stands in for it", () => {
    const event = outcomeEvent({ eventId: "e1", storeId: "store-9", amount: 500 });
    assert.equal(notificationMessage(event), "500 points earned at store-9");
  });
});
