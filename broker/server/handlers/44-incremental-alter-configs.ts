// IncrementalAlterConfigs (44): SET, DELETE (back to the default), APPEND and SUBTRACT (list
// configs) on a topic's or broker's dynamic configs, leaving the others as they are. The active
// controller checks them and writes ConfigRecords; any other broker forwards the request.
import { Apis } from "../../protocol/apis.ts";
import { alterConfigsThroughController } from "../config-alterations.ts";
import { defineHandler } from "./handler.ts";

export const incrementalAlterConfigsHandler = defineHandler(Apis.IncrementalAlterConfigs, (request, { broker }) =>
  alterConfigsThroughController(
    broker,
    Apis.IncrementalAlterConfigs,
    request,
    request.resources.map(({ resourceType, resourceName, configs }) => ({
      resourceType,
      resourceName,
      configs: configs.map(({ name, configOperation, value }) => ({ name, op: configOperation, value })),
    })),
    { replaceAll: false },
  ),
);
