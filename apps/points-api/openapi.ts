// The OpenAPI 3.1 description of the API, built from the zod schemas the routes validate with
// (schemas.ts), so the document cannot drift from what the server accepts.
import { z } from "zod";
import { MAX_BODY_BYTES, TERMINALS_REALM } from "./http.ts";
import { IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER } from "./routes/points.ts";
import * as schemas from "./schemas.ts";

type JsonSchema = Record<string, unknown>;

/** OpenAPI 3.1 schemas are JSON Schema 2020-12, zod's default target; the dialect is the document's. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io });
  return rest;
}

function queryParameters(schema: z.ZodObject): JsonSchema[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const type = field as z.ZodType;
    return {
      name,
      in: "query",
      required: !type.safeParse(undefined).success,
      ...(type.description === undefined ? {} : { description: type.description }),
      schema: jsonSchema(type, "input"),
    };
  });
}

const userIdParameter = { name: "id", in: "path", required: true, schema: { type: "string" }, description: "user id" };

const jsonContent = (schema: z.ZodType, io: "input" | "output" = "output") => ({
  "application/json": { schema: jsonSchema(schema, io) },
});
const ok = (description: string, schema: z.ZodType) => ({ description, content: jsonContent(schema) });
const failure = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const badRequest = failure("invalid input: `message` names each field's problem, `issues` lists them");
const unauthorized = {
  ...failure("no terminal key, a wrong one, or one of another terminal than the command's; nothing was written"),
  headers: { "WWW-Authenticate": { description: `Bearer realm="${TERMINALS_REALM}"`, schema: { type: "string" } } },
};
/** Writes need a POS terminal's key (components.securitySchemes.terminalKey); reads need nothing. */
const terminalOnly = [{ terminalKey: [] }];
const userNotFound = failure("unknown user");

function commandOperation(type: "charge" | "deduct", maxAmount: number) {
  return {
    operationId: `${type}Points`,
    summary:
      type === "charge"
        ? "Add points to a user's balance"
        : "Take points from a user's balance (rejected by the ledger if the balance is short)",
    description:
      `Needs the key of the terminal the command comes from (Authorization: Bearer <key>). ` +
      `Checks the user, store and terminal, then writes the command to points.commands keyed by userId (acks=all). ` +
      `The ${IDEMPOTENCY_KEY_HEADER} header (or commandId in the body) is the command's id: a retry with the same key and payload returns the first answer ` +
      `without writing again. With ?wait the request waits for the ledger's outcome.`,
    parameters: [
      ...queryParameters(schemas.commandQuerySchema),
      {
        name: IDEMPOTENCY_KEY_HEADER,
        in: "header",
        required: false,
        schema: jsonSchema(schemas.commandIdSchema, "input"),
        description: schemas.commandIdSchema.description,
      },
    ],
    security: terminalOnly,
    requestBody: { required: true, content: jsonContent(schemas.commandBodySchema(maxAmount), "input") },
    responses: {
      "200": ok("the ledger's outcome, with ?wait", schemas.commandOutcomeSchema),
      "202": {
        ...ok(
          "accepted: on points.commands at this partition and offset (also when ?wait ran out)",
          schemas.commandAcceptedSchema,
        ),
        headers: {
          [REPLAYED_HEADER]: {
            description: '"true" when this is the answer to an earlier request with the same key',
            schema: { type: "string" },
          },
        },
      },
      "400": badRequest,
      "401": unauthorized,
      "404": failure("unknown user, store, or a terminal not at that store"),
      "409": failure(`the ${IDEMPOTENCY_KEY_HEADER} was already used for a different command`),
      "413": failure(`body larger than ${MAX_BODY_BYTES / 1024} kB`),
      "415": failure("Content-Type is not application/json"),
      "503": failure("the broker is unavailable; nothing was written, retry with the same key"),
    },
  };
}

export function openApiDocument({ maxAmount }: { maxAmount: number }) {
  return {
    openapi: "3.1.0",
    info: {
      title: "points-api",
      version: "1.0.0",
      description: "Point-of-sale points ledger: commands go to points.commands, reads come from the services' tables.",
    },
    components: {
      schemas: { Error: jsonSchema(schemas.errorSchema, "output") },
      securitySchemes: {
        terminalKey: {
          type: "http",
          scheme: "bearer",
          description:
            "A POS terminal's key, <terminalId>.<secret>; the demo's terminals' keys are in DATA_DIR/terminal-keys.json",
        },
      },
    },
    paths: {
      "/api/points/charge": { post: commandOperation("charge", maxAmount) },
      "/api/points/deduct": { post: commandOperation("deduct", maxAmount) },
      "/api/users": {
        get: {
          operationId: "listUsers",
          summary: "Users with their balances, in id order, a page at a time",
          parameters: queryParameters(schemas.usersQuerySchema),
          responses: { "200": ok("a page of users", schemas.usersPageSchema), "400": badRequest },
        },
        post: {
          operationId: "createUser",
          summary: "Add a user (from a POS terminal, with its key)",
          security: terminalOnly,
          requestBody: { required: true, content: jsonContent(schemas.createUserBodySchema, "input") },
          responses: {
            "201": ok("the new user", schemas.userSchema),
            "400": badRequest,
            "401": unauthorized,
            "409": failure("a user with this id exists"),
            "413": failure(`body larger than ${MAX_BODY_BYTES / 1024} kB`),
            "415": failure("Content-Type is not application/json"),
          },
        },
      },
      "/api/users/{id}/balance": {
        get: {
          operationId: "getBalance",
          summary: "A user's balance (0 before the ledger has applied anything for them)",
          parameters: [userIdParameter],
          responses: { "200": ok("the balance", schemas.balanceSchema), "404": userNotFound },
        },
      },
      "/api/users/{id}/ledger": {
        get: {
          operationId: "getUserLedger",
          summary: "A user's latest ledger entries, in the order the ledger applied them",
          parameters: [userIdParameter, ...queryParameters(schemas.ledgerQuerySchema)],
          responses: {
            "200": ok("ledger entries, oldest first", schemas.userLedgerSchema),
            "400": badRequest,
            "404": userNotFound,
          },
        },
      },
      "/api/users/{id}/notifications": {
        get: {
          operationId: "getUserNotifications",
          summary: "A user's notifications, newest first",
          parameters: [userIdParameter, ...queryParameters(schemas.notificationsQuerySchema)],
          responses: {
            "200": ok("notifications", schemas.notificationsSchema),
            "400": badRequest,
            "404": userNotFound,
          },
        },
      },
      "/api/stores": {
        get: {
          operationId: "listStores",
          summary: "Stores with their terminals",
          responses: { "200": ok("stores", schemas.storesSchema) },
        },
      },
      "/api/ledger/recent": {
        get: {
          operationId: "recentLedgerEntries",
          summary: "The latest ledger entries of all users, newest first",
          parameters: queryParameters(schemas.recentLedgerQuerySchema),
          responses: { "200": ok("ledger entries", schemas.recentLedgerSchema), "400": badRequest },
        },
      },
      "/api/analytics": {
        get: {
          operationId: "getAnalytics",
          summary: "Totals, per-store totals, hourly buckets and the top users by charged points",
          parameters: queryParameters(schemas.analyticsQuerySchema),
          responses: { "200": ok("the analytics service's aggregates", schemas.analyticsSchema), "400": badRequest },
        },
      },
      "/api/groups": {
        get: {
          operationId: "getConsumerGroups",
          summary:
            "The ledger, notification and analytics consumer groups: members, owned partitions, committed offsets and lag",
          responses: {
            "200": ok("consumer groups", schemas.groupsSchema),
            "503": failure("the broker is unavailable"),
          },
        },
      },
      "/api/openapi.json": {
        get: {
          operationId: "getOpenApi",
          summary: "This document",
          responses: {
            "200": {
              description: "OpenAPI 3.1 document",
              content: { "application/json": { schema: { type: "object" } } },
            },
          },
        },
      },
    },
  };
}
