// AlterConfigs (33): replaces a topic's or broker's dynamic configs with the ones named (what the
// request leaves out goes back to its default). The active controller checks them and writes
// ConfigRecords; any other broker forwards the request and relays the answer.
import { Apis } from "../../protocol/apis.ts";
import { alterConfigsThroughController } from "../config-alterations.ts";
import { ConfigOp } from "../dynamic-configs.ts";
import { defineHandler } from "./handler.ts";

export const alterConfigsHandler = defineHandler(Apis.AlterConfigs, (request, { broker }) =>
  alterConfigsThroughController(
    broker,
    Apis.AlterConfigs,
    request,
    request.resources.map(({ resourceType, resourceName, configs }) => ({
      resourceType,
      resourceName,
      configs: configs.map(({ name, value }) => ({ name, op: ConfigOp.SET, value })),
    })),
    { replaceAll: true },
  ),
);
