// The rebalance timeline's model, apart from its drawing: replays a group's events (oldest first) into
// one lane per member — when it was in the group, which partitions it owned when — plus the group's
// rebalances and its numbered changes. No DOM here, so a test can feed it events directly.
//
// A member's lane is keyed by its group.instance.id when it has one (a static member that rejoins
// keeps its lane) and by its member id otherwise. A classic group whose assignor is not cooperative
// stops consuming from the start of a rebalance until its end (eager protocol): its lanes show a gap.

const partKey = (topic, partition) => `${topic}:${partition}`;
const flatten = (assignment) =>
  Object.entries(assignment ?? {}).flatMap(([topic, partitions]) => partitions.map((p) => partKey(topic, p)));
const sameSet = (a, b) => a.length === b.length && a.every((x) => b.includes(x));

function comparePartKeys(a, b) {
  const [ta, pa] = [a.slice(0, a.lastIndexOf(":")), Number(a.slice(a.lastIndexOf(":") + 1))];
  const [tb, pb] = [b.slice(0, b.lastIndexOf(":")), Number(b.slice(b.lastIndexOf(":") + 1))];
  return ta.localeCompare(tb) || pa - pb;
}

class Lane {
  constructor(key, order) {
    this.key = key;
    this.order = order;
    this.memberId = null;
    this.clientId = null;
    this.instanceId = null;
    /** When it was a member: [{ start, end|null }]. */
    this.presence = [];
    /** What it owned: [{ start, end|null, parts: ["topic:p"] }], never an empty one. */
    this.segments = [];
    this.markers = [];
  }
  get present() {
    return this.presence.at(-1)?.end === null;
  }
  get owned() {
    const last = this.segments.at(-1);
    return last && last.end === null ? last.parts : [];
  }
  describe(event) {
    if (event.memberId) this.memberId = event.memberId;
    if (event.clientId) this.clientId = event.clientId;
    if (event.instanceId) this.instanceId = event.instanceId;
  }
  enter(time) {
    if (!this.present) this.presence.push({ start: time, end: null });
  }
  leave(time) {
    this.own(time, []);
    const open = this.presence.at(-1);
    if (open && open.end === null) open.end = time;
  }
  own(time, parts) {
    const sorted = [...new Set(parts)].sort(comparePartKeys);
    if (sameSet(this.owned, sorted)) return;
    const open = this.segments.at(-1);
    if (open && open.end === null) open.end = time;
    if (sorted.length > 0) {
      this.enter(time);
      this.segments.push({ start: time, end: null, parts: sorted });
    }
  }
}

/**
 * @param events   the group's events, oldest first
 * @param current  the group as /api/groups has it now (or undefined): fills in members the kept
 *                 history says nothing about
 * @param since    changes before this time count for the state but are not numbered
 */
export function buildGroupTimeline(groupId, events, current, since) {
  const lanes = new Map();
  const rebalances = [];
  const changes = [];
  const everyPart = new Set((current?.partitions ?? []).map((p) => partKey(p.topic, p.partition)));
  const protocol = current?.protocol ?? events.find((e) => e.protocol)?.protocol ?? "classic";
  const eager = protocol === "classic" && !/cooperative/i.test(current?.assignor ?? "");
  const laneOf = (who) => {
    const key = who.instanceId || who.memberId;
    if (!key) return null;
    let lane = lanes.get(key);
    if (!lane) {
      lane = new Lane(key, lanes.size);
      lanes.set(key, lane);
    }
    lane.describe(who);
    return lane;
  };

  for (const event of events) {
    const time = event.time;
    const lane = event.memberId || event.instanceId ? laneOf(event) : null;
    for (const part of flatten(event.assignment)) everyPart.add(part);
    switch (event.kind) {
      case "member-joined":
      case "static-member-rejoined":
        lane?.enter(time);
        break;
      case "member-left":
      case "member-removed":
        lane?.leave(time);
        break;
      case "partitions-assigned":
        lane?.own(time, [...lane.owned, ...flatten(event.assignment)]);
        break;
      case "partitions-revoked": {
        const revoked = new Set(flatten(event.assignment));
        lane?.own(
          time,
          lane.owned.filter((part) => !revoked.has(part)),
        );
        break;
      }
      case "rebalance-started":
        if (!rebalances.at(-1) || rebalances.at(-1).end !== null)
          rebalances.push({ start: time, end: null, cause: event.cause, generation: event.generation ?? null });
        if (eager) for (const each of lanes.values()) each.own(time, []);
        break;
      case "rebalance-completed": {
        const open = rebalances.at(-1);
        if (open && open.end === null) open.end = time;
        else rebalances.push({ start: time, end: time, cause: event.cause, generation: event.generation ?? null });
        rebalances.at(-1).generation = event.generation ?? rebalances.at(-1).generation;
        if (event.members) {
          const members = new Set();
          for (const member of event.members) {
            const memberLane = laneOf(member);
            if (!memberLane) continue;
            members.add(memberLane);
            for (const part of flatten(member.assignment)) everyPart.add(part);
            memberLane.enter(time);
            memberLane.own(time, flatten(member.assignment));
          }
          // A classic generation lists every member: whoever is not in it has left the group (its
          // coordinator may have moved and never said so).
          if (protocol === "classic") for (const each of lanes.values()) if (!members.has(each)) each.leave(time);
        }
        break;
      }
    }
    if (time >= since) {
      const change = { n: changes.length + 1, event, lane: lane?.key ?? null };
      changes.push(change);
      lane?.markers.push(change);
    }
  }

  // Members the kept history does not cover (they joined before it), or whose assignment it never
  // said: take what the group has now, from as far back as the history goes.
  const lastEventTime = events.at(-1)?.time ?? Number.NEGATIVE_INFINITY;
  for (const member of current?.members ?? []) {
    const parts = flatten(member.assignment);
    for (const part of parts) everyPart.add(part);
    const known = lanes.has(member.instanceId || member.memberId);
    const lane = laneOf(member);
    if (!known) {
      lane.presence.push({ start: Number.NEGATIVE_INFINITY, end: null });
      if (parts.length)
        lane.segments.push({ start: Number.NEGATIVE_INFINITY, end: null, parts: parts.sort(comparePartKeys) });
    } else if (lane.present && lane.segments.length === 0 && parts.length) lane.own(lastEventTime, parts);
  }

  const currentIds = new Set((current?.members ?? []).map((m) => m.memberId));
  return {
    groupId,
    protocol,
    eager,
    assignor: current?.assignor ?? null,
    state: current?.state ?? null,
    generation: current?.generation ?? rebalances.at(-1)?.generation ?? null,
    parts: [...everyPart].sort(comparePartKeys),
    lanes: [...lanes.values()].sort((a, b) => laneStart(a) - laneStart(b) || a.order - b.order),
    rebalances,
    changes,
    currentIds,
  };
}

const laneStart = (lane) => lane.presence[0]?.start ?? Number.POSITIVE_INFINITY;
