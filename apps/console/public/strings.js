// Every word the console shows, in one place: English, and Korean (`?lang=ko`, or the header's switch,
// remembered in localStorage; a key missing in Korean falls back to English). `t("key", { n: 3 })`
// fills `{n}`; elements with data-i18n="key" get their text from here when the page loads (their
// data-* attributes fill the placeholders), data-i18n-placeholder / data-i18n-title their attribute.
//
// Ownership: this module owns the page's language, chosen once when it loads; switching reloads.

const en = {
  title: "Kafka console",
  "nav.cluster": "Cluster",
  "nav.topics": "Topics",
  "nav.groups": "Groups",
  "nav.timeline": "Rebalance timeline",
  "nav.faults": "Faults",
  "nav.points": "Points",
  "status.connecting": "connecting…",
  "status.updated": "updated {time}",
  "status.failed": "{what} failed: {message}",
  "status.events": "{n} events",
  "status.eventsDown": "event stream reconnecting…",
  "link.points": "points demo",
  "lang.switch": "Language",

  "cluster.brokers": "Brokers",
  "cluster.quorum": "Controller quorum",
  "cluster.partitions": "Partitions: who leads, who follows, who is in sync",
  "cluster.recent": "Recent cluster events",
  "cluster.internal": "internal topics",
  "cluster.partitionCount": "{n} partitions",
  "cluster.legend":
    "★ leader · ● follower in the ISR · ○ follower out of the ISR · — not a replica. The bar is the replica's log end offset against the partition's high watermark.",
  "broker.up": "up",
  "broker.fenced": "fenced",
  "broker.paused": "paused",
  "broker.down": "down",
  "broker.controller": "active controller",
  "broker.voter": "voter",
  "broker.observer": "not a voter",
  "broker.label": "broker {id}",
  "quorum.leader": "leader {id}, epoch {epoch}, high watermark {hw}",
  "quorum.none": "no controller quorum information",
  "quorum.lag": "lag {lag}",
  "col.partition": "partition",
  "col.hw": "high watermark",
  "col.leader": "leader",
  "col.replicas": "replicas",
  "col.isr": "ISR",
  "col.logStart": "log start",
  "col.size": "size",
  "col.segments": "segments",
  "col.member": "member",
  "col.client": "client id",
  "col.instance": "instance id",
  "col.host": "host",
  "col.epoch": "epoch",
  "col.owns": "partitions",
  "col.owner": "owner",
  "col.committed": "committed",
  "col.lag": "lag",
  "col.lagSeconds": "lag (s)",
  "col.rate": "rate /s",
  "col.catchUp": "catch-up",
  "col.offset": "offset",
  "col.time": "time",
  "col.key": "key",
  "col.value": "value",
  "col.headers": "headers",
  "col.kind": "kind",
  "col.cause": "cause",
  "col.status": "status",
  "col.pid": "pid",
  "col.actions": "actions",
  "col.records": "records",
  "cell.leader": "leader",
  "cell.follower": "follower",
  "cell.outOfSync": "out of sync",
  "cell.notReplica": "not a replica",
  "cell.noLeader": "none",
  underReplicated: "under-replicated",

  "topics.title": "Topics",
  "topics.configs": "configs",
  "topics.browser": "Message browser",
  "topics.by": "find by",
  "topics.byOffset": "partition + offset",
  "topics.byTime": "time",
  "topics.byKey": "key",
  "topics.topic": "topic",
  "topics.partition": "partition",
  "topics.offset": "offset",
  "topics.timestamp": "from time",
  "topics.key": "key",
  "topics.limit": "limit",
  "topics.find": "Find",
  "topics.found": "{n} message(s) in {topic} partition {partition}",
  "topics.none": "no messages",
  "topics.tail": "Live tail",
  "topics.tailStart": "Start tail",
  "topics.tailStop": "Stop tail",
  "topics.tailIdle": "not tailing",
  "topics.tailOn": "tailing {topic}: {n} message(s)",
  "topics.calc": "Key → partition",
  "topics.calcHelp": "murmur2 of the key, as the producer computes it",
  "topics.calcPartitions": "partitions",
  "topics.calcCurrent": "current",
  "topics.calcResult": "key {key} → partition {partition} of {partitions}",

  "groups.title": "Consumer groups",
  "groups.none": "no consumer groups yet",
  "groups.summary": "{protocol} · generation {generation} · assignor {assignor} · coordinator broker {coordinator}",
  "groups.totalLag": "total lag {lag}",
  "groups.members": "Members",
  "groups.noMembers": "no members",
  "groups.partitions": "Partitions",
  "groups.chart": "Lag over time (records)",
  "groups.unowned": "unassigned",
  "groups.caughtUp": "caught up",
  "groups.never": "not catching up",

  "timeline.title": "Rebalance timeline",
  "timeline.help":
    "One lane per member; coloured stripes are the partitions it owns (one colour per partition), blank where it owned nothing or was not consuming. Marks are changes; hover one for its cause.",
  "timeline.window": "window",
  "timeline.minutes": "{n} min",
  "timeline.noGroups": "no group events yet",
  "timeline.cluster": "cluster & faults",
  "timeline.rebalancing": "rebalancing",
  "timeline.generation": "gen {n}",
  "timeline.changes": "Changes in {group}",
  "timeline.owned": "{member} owned {partitions} from {from} to {to} ({seconds} s)",
  "timeline.now": "now",
  "timeline.ownsNow": "owns {partitions}",
  "timeline.ownsNothing": "owns nothing",
  "timeline.gone": "gone",
  "events.title": "Event stream",
  "events.allGroups": "all groups",
  "events.allKinds": "all kinds",
  "events.search": "search causes",
  "events.internal": "internal topics",
  "events.none": "no events match",

  "faults.title": "Fault injection",
  "faults.help":
    "These really kill, pause and stall processes of the running demo. The token is printed by the start command.",
  "faults.disabled": "Fault controls are disabled: the console is not bound to a loopback address.",
  "faults.token": "console token",
  "faults.brokers": "Brokers",
  "faults.ledger": "Ledger instances",
  "faults.growth": "Grow points.commands",
  "faults.growthHelp":
    "New partition count. Preview lists the users whose key lands on another partition: their commands in flight may be applied out of order.",
  "faults.count": "partitions",
  "faults.preview": "Preview",
  "faults.grow": "Grow",
  "faults.previewResult": "{from} → {to} partitions: {moved} user(s) move, {unchanged} stay",
  "faults.user": "user",
  "faults.from": "from",
  "faults.to": "to",
  "faults.kill": "kill -9",
  "faults.restart": "restart",
  "faults.pause": "pause",
  "faults.resume": "resume",
  "faults.stall": "stall past max poll",
  "faults.freeze": "freeze heartbeats",
  "faults.remove": "remove",
  "faults.add": "Add a ledger instance",
  "faults.log": "Answers",
  "faults.noToken": "enter the console token first",
  "service.running": "running",
  "service.stalled": "stalled",
  "service.frozen": "frozen",
  "service.stopped": "stopped",

  "points.title": "Points demo",
  "points.open": "open in its own tab",
  "points.frame": "points demo",
};

const ko = {
  title: "카프카 콘솔",
  "nav.cluster": "클러스터",
  "nav.topics": "토픽",
  "nav.groups": "컨슈머 그룹",
  "nav.timeline": "리밸런스 타임라인",
  "nav.faults": "장애 주입",
  "nav.points": "포인트",
  "status.connecting": "연결 중…",
  "status.updated": "{time} 갱신",
  "status.failed": "{what} 실패: {message}",
  "status.events": "이벤트 {n}개",
  "status.eventsDown": "이벤트 스트림 다시 연결 중…",
  "link.points": "포인트 데모",
  "lang.switch": "언어",

  "cluster.brokers": "브로커",
  "cluster.quorum": "컨트롤러 쿼럼",
  "cluster.partitions": "파티션: 누가 리더이고, 누가 팔로워이고, 누가 ISR에 있나",
  "cluster.recent": "최근 클러스터 이벤트",
  "cluster.internal": "내부 토픽",
  "cluster.partitionCount": "파티션 {n}개",
  "cluster.legend":
    "★ 리더 · ● ISR에 있는 팔로워 · ○ ISR에서 빠진 팔로워 · — 복제본 아님. 막대는 파티션의 하이 워터마크 대비 그 복제본의 로그 끝 오프셋(LEO)입니다.",
  "broker.up": "정상",
  "broker.fenced": "펜스됨",
  "broker.paused": "일시 정지",
  "broker.down": "중단",
  "broker.controller": "활성 컨트롤러",
  "broker.voter": "보터",
  "broker.observer": "보터 아님",
  "broker.label": "브로커 {id}",
  "quorum.leader": "리더 {id}, 에포크 {epoch}, 하이 워터마크 {hw}",
  "quorum.none": "컨트롤러 쿼럼 정보 없음",
  "quorum.lag": "지연 {lag}",
  "col.partition": "파티션",
  "col.hw": "하이 워터마크",
  "col.leader": "리더",
  "col.replicas": "복제본",
  "col.isr": "ISR",
  "col.logStart": "로그 시작",
  "col.size": "크기",
  "col.segments": "세그먼트",
  "col.member": "멤버",
  "col.client": "클라이언트 ID",
  "col.instance": "인스턴스 ID",
  "col.host": "호스트",
  "col.epoch": "에포크",
  "col.owns": "파티션",
  "col.owner": "담당 멤버",
  "col.committed": "커밋된 오프셋",
  "col.lag": "랙",
  "col.lagSeconds": "랙 (초)",
  "col.rate": "초당 처리",
  "col.catchUp": "따라잡기까지",
  "col.offset": "오프셋",
  "col.time": "시각",
  "col.key": "키",
  "col.value": "값",
  "col.headers": "헤더",
  "col.kind": "종류",
  "col.cause": "원인",
  "col.status": "상태",
  "col.pid": "PID",
  "col.actions": "동작",
  "col.records": "레코드 수",
  "cell.leader": "리더",
  "cell.follower": "팔로워",
  "cell.outOfSync": "동기화 안 됨",
  "cell.notReplica": "복제본 아님",
  "cell.noLeader": "없음",
  underReplicated: "복제 부족",

  "topics.title": "토픽",
  "topics.configs": "설정",
  "topics.browser": "메시지 브라우저",
  "topics.by": "찾는 방법",
  "topics.byOffset": "파티션 + 오프셋",
  "topics.byTime": "시각",
  "topics.byKey": "키",
  "topics.topic": "토픽",
  "topics.partition": "파티션",
  "topics.offset": "오프셋",
  "topics.timestamp": "시작 시각",
  "topics.key": "키",
  "topics.limit": "최대 개수",
  "topics.find": "찾기",
  "topics.found": "{topic} 파티션 {partition}에서 메시지 {n}개",
  "topics.none": "메시지 없음",
  "topics.tail": "실시간 tail",
  "topics.tailStart": "tail 시작",
  "topics.tailStop": "tail 멈춤",
  "topics.tailIdle": "tail 꺼짐",
  "topics.tailOn": "{topic} tail 중: 메시지 {n}개",
  "topics.calc": "키 → 파티션",
  "topics.calcHelp": "프로듀서가 계산하는 그대로, 키의 murmur2 해시",
  "topics.calcPartitions": "파티션 수",
  "topics.calcCurrent": "현재 값",
  "topics.calcResult": "키 {key} → 파티션 {partition} (전체 {partitions}개 중)",

  "groups.title": "컨슈머 그룹",
  "groups.none": "아직 컨슈머 그룹이 없습니다",
  "groups.summary":
    "{protocol} · 제너레이션 {generation} · 할당 전략(assignor) {assignor} · 코디네이터 브로커 {coordinator}",
  "groups.totalLag": "전체 랙 {lag}",
  "groups.members": "멤버",
  "groups.noMembers": "멤버 없음",
  "groups.partitions": "파티션",
  "groups.chart": "시간별 랙 (레코드)",
  "groups.unowned": "할당 안 됨",
  "groups.caughtUp": "따라잡음",
  "groups.never": "따라잡지 못하는 중",

  "timeline.title": "리밸런스 타임라인",
  "timeline.help":
    "멤버마다 한 줄입니다. 색 띠는 그 멤버가 맡은 파티션(파티션마다 한 색)이고, 아무것도 맡지 않았거나 소비하지 않던 동안은 비어 있습니다. 표시는 변화이고, 마우스를 올리면 원인이 보입니다.",
  "timeline.window": "기간",
  "timeline.minutes": "{n}분",
  "timeline.noGroups": "아직 그룹 이벤트가 없습니다",
  "timeline.cluster": "클러스터와 장애",
  "timeline.rebalancing": "리밸런싱 중",
  "timeline.generation": "제너레이션 {n}",
  "timeline.changes": "{group}의 변화",
  "timeline.owned": "{member}: {from}부터 {to}까지 {partitions} 담당 ({seconds}초)",
  "timeline.now": "지금",
  "timeline.ownsNow": "{partitions} 담당",
  "timeline.ownsNothing": "담당 파티션 없음",
  "timeline.gone": "떠남",
  "events.title": "이벤트 스트림",
  "events.allGroups": "모든 그룹",
  "events.allKinds": "모든 종류",
  "events.search": "원인 검색",
  "events.internal": "내부 토픽",
  "events.none": "맞는 이벤트 없음",

  "faults.title": "장애 주입",
  "faults.help": "실행 중인 데모의 프로세스를 실제로 죽이고, 멈추고, 지연시킵니다. 토큰은 시작 명령이 출력합니다.",
  "faults.disabled": "장애 주입이 꺼져 있습니다: 콘솔이 루프백 주소에 바인딩되어 있지 않습니다.",
  "faults.token": "콘솔 토큰",
  "faults.brokers": "브로커",
  "faults.ledger": "원장(ledger) 인스턴스",
  "faults.growth": "points.commands 파티션 늘리기",
  "faults.growthHelp":
    "새 파티션 수. 미리보기는 키가 다른 파티션으로 가게 되는 사용자를 보여 줍니다: 처리 중인 그 사용자의 명령은 순서가 뒤바뀌어 적용될 수 있습니다.",
  "faults.count": "파티션 수",
  "faults.preview": "미리보기",
  "faults.grow": "늘리기",
  "faults.previewResult": "파티션 {from}개 → {to}개: 사용자 {moved}명 이동, {unchanged}명 그대로",
  "faults.user": "사용자",
  "faults.from": "이전",
  "faults.to": "이후",
  "faults.kill": "kill -9",
  "faults.restart": "재시작",
  "faults.pause": "일시 정지",
  "faults.resume": "재개",
  "faults.stall": "max poll 넘게 지연",
  "faults.freeze": "하트비트 멈추기",
  "faults.remove": "제거",
  "faults.add": "원장 인스턴스 추가",
  "faults.log": "응답",
  "faults.noToken": "먼저 콘솔 토큰을 입력하세요",
  "service.running": "실행 중",
  "service.stalled": "지연됨",
  "service.frozen": "멈춤",
  "service.stopped": "중지됨",

  "points.title": "포인트 데모",
  "points.open": "새 탭에서 열기",
  "points.frame": "포인트 데모",
};

export const dictionaries = { en, ko };

const REMEMBERED = "console.lang";

/** `?lang=` when it names a dictionary (and then remembered), else the remembered choice, else English. */
function chooseLang() {
  const asked = new URLSearchParams(globalThis.location?.search ?? "").get("lang");
  if (asked && Object.hasOwn(dictionaries, asked)) {
    remember(asked);
    return asked;
  }
  const remembered = recall();
  return remembered && Object.hasOwn(dictionaries, remembered) ? remembered : "en";
}

// localStorage may be missing or refuse (a private window, storage disabled): the choice then lasts a page.
function recall() {
  try {
    return globalThis.localStorage?.getItem(REMEMBERED) ?? null;
  } catch {
    return null;
  }
}

export function remember(language) {
  try {
    globalThis.localStorage?.setItem(REMEMBERED, language);
  } catch {
    // not remembered; ?lang= in the URL still carries it
  }
}

export const lang = chooseLang();

/** The text for `key` in the page's language, `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const template = dictionaries[lang][key] ?? en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

/**
 * Fills every [data-i18n] element under `root` (its text, placeholders from its data-* attributes),
 * [data-i18n-placeholder] (its placeholder) and [data-i18n-title] (its title).
 */
export function translate(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]"))
    element.textContent = t(element.dataset.i18n, element.dataset);
  for (const element of root.querySelectorAll("[data-i18n-placeholder]"))
    element.placeholder = t(element.dataset.i18nPlaceholder);
  for (const element of root.querySelectorAll("[data-i18n-title]")) element.title = t(element.dataset.i18nTitle);
  document.documentElement.lang = lang;
  document.title = t("title");
}
