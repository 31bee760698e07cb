"""A failure-mode vocabulary, written once from public incident taxonomies.

Sources read for it: the cause classes of Gunawi et al., "Why Does the Cloud Stop Computing?"
(SoCC 2016: upgrade, configuration, software bug, load, network, hardware, power, cross-service
dependency, human error, security); Nygard's stability antipatterns ("Release It!": cascading
failures, blocked threads, chain reactions, unbounded retries, self-denial, unbalanced
capacities); the contributing-factor categories of the VOID (Verica Open Incident Database) and
of the Google SRE book's postmortem chapter; the cause sections of the AWS, Azure, GCP and
Cloudflare public incident reports; and the classic time bugs (certificate expiry, leap second,
daylight saving, ID overflow). It was NOT derived from the judged sets in bench/judgements, and
no entry names a company, product or service: a mode is a mechanism.

Each mode has a `label` (how a recurrence reads: the shared cause, as a short clause), a
`description` (a few sentences embedded once and matched by meaning against an incident's cause
text) and `cues` (regular expressions over lower-cased text; `strong` ones name the mode,
`weak` ones are evidence only together with meaning). index.failure_modes does the matching.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FailureMode:
    key: str
    label: str
    description: str
    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()


def _m(key: str, label: str, description: str, strong: str = "", weak: str = "") -> FailureMode:
    """STRONG and WEAK are regular expressions whose top-level alternatives are the cues."""
    return FailureMode(key, label, description, _alternatives(strong), _alternatives(weak))


def _alternatives(pattern: str) -> tuple[str, ...]:
    """PATTERN split at its top-level '|' (not inside parentheses)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(pattern):
        if ch == "(" and (i == 0 or pattern[i - 1] != "\\"):
            depth += 1
        elif ch == ")" and (i == 0 or pattern[i - 1] != "\\"):
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
    out.append(pattern[start:])
    return tuple(p.strip() for p in out if p.strip())


VOCABULARY: tuple[FailureMode, ...] = (
    # -- change: configuration, code, rollout -------------------------------------------------
    _m(
        "config-push",
        "bad configuration pushed everywhere at once",
        "A configuration or data file change was rolled out globally to every server at once, "
        "without a staged or canary rollout, and the bad config took the whole fleet down. A "
        "malformed rule, setting or generated config file propagated to all regions within "
        "minutes.",
        r"config(?:uration)? (?:push|rollout|change) (?:was )?(?:rolled out|deployed|pushed) "
        r"(?:globally|everywhere|to all)|pushed (?:globally|to all|to every)|"
        r"global(?:ly)? (?:config(?:uration)?|rollout|deploy(?:ment)?)|bad config(?:uration)?|"
        r"malformed (?:config(?:uration)?|rule|file)|config(?:uration)? (?:error|mistake)|"
        r"misconfigur\w*|(?:pushed|distributed|delivered|propagated|deployed) to (?:every|all|the "
        r"(?:whole|entire)) (?:\w+ ){0,3}(?:at once|in one step)|(?:whole|entire) fleet|"
        r"(?:no|without (?:a )?)(?:staged rollout|canary)",
        r"config(?:uration)?|rollout|propagat\w+|pushed|all regions|every (?:server|region)|"
        r"feature file|rule ?set|canary",
    ),
    _m(
        "bad-deploy",
        "a code change shipped a bug",
        "A software release or code deployment introduced a regression: a bug in the new "
        "version made requests fail until the deploy was rolled back.",
        r"regression|introduced (?:a )?(?:bug|defect|regression)|(?:bug|regression|defect) (?:in|introduced by) (?:the |a )?(?:new |latest )?"
        r"(?:release|deploy(?:ment)?|version|build|code)|rolled back (?:the )?(?:release|deploy"
        r"(?:ment)?)|bad (?:deploy|release|build)|(?:deploy(?:ment)?|release) (?:introduced|"
        r"contained) (?:a )?(?:bug|regression)",
        r"deploy(?:ed|ment)?|releases?|released|roll(?:ed)? ?back|code change|shipped",
    ),
    _m(
        "deploy-process",
        "the deployment itself went wrong",
        "The deployment process failed: a partial deploy left servers on different versions, "
        "the wrong artifact or config was shipped, old and new code disagreed about a format, "
        "or a deploy script skipped a step.",
        r"partial(?:ly)? (?:deploy|rollout|roll-out)|wrong (?:artifact|build|binary|version)|"
        r"version skew|mixed versions|old and new (?:code|versions?)|deploy(?:ment)? script",
        r"deploy(?:ment)? (?:tool|process|pipeline)|manual(?:ly)? deploy|servers? (?:were|was) "
        r"not updated|out of sync",
    ),
    _m(
        "upgrade-breakage",
        "an upgrade changed behaviour relied on",
        "An upgrade of a dependency, library, operating system, kernel, database engine, "
        "platform or runtime changed behaviour that the system relied on, breaking it after "
        "the upgrade.",
        r"(?:after|during) (?:the |an? )?upgrad\w+|upgrad\w+ (?:to|of) (?:the )?(?:new|version|"
        r"kernel|library|os|database|runtime)|breaking change|new version of (?:the )?"
        r"(?:library|dependency|kernel|driver)|incompatib\w+ (?:with )?(?:the )?(?:new|upgraded)",
        r"upgrad\w+|kernel|library|driver|runtime|patch(?:ed|ing)?",
    ),
    _m(
        "flag-fail-open",
        "a feature flag did the unsafe thing",
        "A feature flag, kill switch or default setting misbehaved: the flag service was "
        "unreachable and the client fell back to an unsafe default (fail open), or a flag was "
        "flipped for everyone by mistake.",
        r"feature[- ]flags?|fail(?:ed|s)?[- ]open|kill[- ]switch|flag (?:service|client|flip)",
        r"flags?|defaults?|toggle|rollout percentage|zero value",
    ),
    _m(
        "infra-drift",
        "a manual change was reverted as drift",
        "Infrastructure as code and reality disagreed: a change made by hand in the console was "
        "never written into code, and the next automated apply removed it as drift.",
        r"drift|terraform apply|never codified|(?:added|made|changed) (?:by hand|manually|via the "
        r"console|through the console)|infrastructure as code",
        r"terraform|console|manual(?:ly)?|codif\w+|plan output|cloudformation|pulumi",
    ),
    _m(
        "access-policy",
        "an access rule blocked legitimate traffic",
        "A firewall, security group, network policy or access-control rule change blocked "
        "legitimate traffic or denied permissions that a service needed.",
        r"firewall|security group|network ?policy|acl|access control list|"
        r"(?:permission|access) (?:was |were )?(?:denied|revoked|removed)|iam (?:policy|role)|"
        r"allow ?list|deny rule|egress rule|ingress rule",
        r"blocked|denied|permissions?|polic(?:y|ies)|rules?|egress|ingress",
    ),
    _m(
        "schema-change",
        "an incompatible schema change broke readers",
        "A producer changed a schema, message or data format incompatibly, or a database "
        "migration changed tables, and consumers or readers on the old format failed to parse "
        "or query it.",
        r"schema (?:change|migration|registry|evolution)|incompatible (?:schema|format|message)|"
        r"(?:failed|unable) to (?:deserializ|pars|decod)\w*|deserializ\w+ (?:error|exception|"
        r"fail\w*)|database migration|migration (?:script|locked|dropped)",
        r"schema|avro|protobuf|migration|format|field|column|backward|compatib\w+",
    ),
    # -- load and capacity ---------------------------------------------------------------------
    _m(
        "traffic-overload",
        "more traffic than the capacity",
        "Load exceeded provisioned capacity: a traffic spike, launch, promotion, viral event or "
        "organic growth overwhelmed servers that could not scale out in time.",
        r"traffic (?:spike|surge|increase)|(?:unexpected|unprecedented|massive) (?:load|traffic|"
        r"demand)|(?:ran|run) out of capacity|insufficient capacity|capacity (?:exhausted|limit"
        r"|shortfall)|overloaded|could not (?:keep up|scale)|flash crowd",
        r"traffic|capacity|overload\w*|spike|surge|demand|autoscal\w+|peak",
    ),
    _m(
        "retry-storm",
        "retries amplified the load",
        "Clients retried failed or slow requests immediately, at several layers and without "
        "backoff, jitter or a retry budget, multiplying load on a struggling service until it "
        "collapsed: a retry storm, thundering herd or reconnect storm that kept it down after "
        "the original trigger had gone.",
        r"retry storms?|thundering herd|reconnect(?:ion)? storms?|retr(?:y|ies) (?:amplif\w+|"
        r"multipl\w+)|(?:amplif\w+|multipl\w+) (?:the )?(?:load|retr\w+|attempts)|retry budget|"
        r"no (?:jitter|backoff)|without (?:jitter|backoff|exponential backoff)|"
        r"exponential backoff|herd",
        r"retr(?:y|ies|ied)|reconnect\w*|backoff|jitter|lockstep|amplif\w+|stampede",
    ),
    _m(
        "cascading-slowness",
        "a slow dependency cascaded",
        "A dependency became slow rather than down; callers waited on it without tight "
        "timeouts, threads and workers blocked, and the slowness cascaded upstream into a wider "
        "outage.",
        r"slow dependency|cascad\w+ failure|blocked threads|threads (?:were )?blocked|"
        r"(?:no|missing|long) timeouts?|circuit breakers?",
        r"slow(?:ed|ness|down)|timeouts?|timed out|cascad\w+|blocked",
    ),
    _m(
        "cache-stampede",
        "an emptied cache overloaded what was behind it",
        "A cache was flushed, restarted or went cold, or keys expired together, and the flood of "
        "cache misses overloaded the database or origin behind it.",
        r"cache (?:stampede|miss(?:es)? (?:storm|surge))|cold cache|cache (?:was )?"
        r"(?:flushed|cleared|wiped|restarted|lost|empty|emptied|purged)|cache hit (?:rate|ratio) "
        r"(?:dropped|fell)|(?:started|was|were) (?:empty|cold)|(?:missed|miss(?:es)?) the cache|"
        r"purge (?:all|everything)|cache misses",
        r"cache|memcache\w*|misses|origin|warm(?:ed|ing)?|hit rate|purg\w+|refill\w*",
    ),
    _m(
        "resource-exhaustion",
        "a connection or thread pool ran out",
        "A fixed resource limit was exhausted: the connection pool, file descriptors, threads, "
        "sockets, ports or worker slots filled up and new requests were refused.",
        r"(?:connection|thread|worker) pool (?:was )?(?:exhausted|full|saturated)|too many "
        r"(?:open files|connections)|file descriptors?|max_connections|connection limit|"
        r"(?:ran|run) out of (?:connections|threads|file descriptors|sockets|ports)|ephemeral "
        r"ports?|pool exhaust\w+|connection leak|leak\w* (?:database |db |jdbc )?connections?|"
        r"(?:held|took|holding) (?:all|every) (?:\d+ )?connections|getconnection",
        r"pool|connections?|exhaust\w+|limits?|threads?|sockets?|saturat\w+",
    ),
    _m(
        "memory-exhaustion",
        "memory ran out",
        "A process leaked memory or grew without bound until it ran out of memory and was "
        "killed, swapped or crashed: out-of-memory, heap exhaustion, garbage-collection pauses.",
        r"memory leak|out of memory|oom(?:-?kill\w*)?|heap (?:exhaust\w+|space)|"
        r"ran out of memory|garbage collection|gc pauses?",
        r"memory|heap|leak\w*|swap\w*|rss",
    ),
    _m(
        "disk-full",
        "a disk filled up",
        "Storage ran out of space: logs, write-ahead log, temporary files or data filled a disk "
        "or volume to 100% and writes failed.",
        r"disk (?:was |became )?full|(?:disk|volume|filesystem|partition) (?:filled|full|ran out)"
        r"|no space left|out of (?:disk )?space|ran out of (?:disk|storage) space|"
        r"disk space|storage (?:capacity )?(?:limit|exhausted|full)|enospc|(?:disks?|volumes?|log "
        r"director(?:y|ies)) (?:\w+ ){0,4}(?:completely )?full|reached 100%",
        r"disk|volume|space|storage|filled|logs?|wal|retention",
    ),
    _m(
        "noisy-neighbour",
        "one workload starved others of a shared resource",
        "Workloads shared a pool with no isolation or priority, and one noisy tenant, batch job "
        "or runaway client consumed the shared CPU, GPU, I/O or quota, starving the others.",
        r"noisy neighbou?rs?|starv\w+|runaway (?:client|job|query|process)|(?:no|without) "
        r"(?:isolation|priority|priorit\w+)|shared (?:pool|cluster|resource)|priority ?class",
        r"shared|priority|batch|tenant|isolation|quota|fair",
    ),
    _m(
        "quota-exhausted",
        "a quota or rate limit ran out",
        "A quota, rate limit, API limit or spending budget was exhausted, and the provider "
        "began rejecting requests with throttling errors.",
        r"quota|rate[- ]limit\w*|throttl\w+|budget (?:was )?(?:exhausted|exceeded)|"
        r"(?:api|request) limit|429",
        r"limit|budget|exceeded|exhausted|throttl\w+",
    ),
    _m(
        "ddos",
        "a denial-of-service attack",
        "An attacker flooded the service with malicious traffic: a distributed denial-of-service "
        "attack, SYN flood, amplification or botnet overwhelmed the network or servers.",
        r"d?dos|denial[- ]of[- ]service|botnet|syn flood|amplification attack|attack traffic",
        r"attack\w*|malicious|flood\w*",
    ),
    # -- data and state ------------------------------------------------------------------------
    _m(
        "replica-lag",
        "a lagging replica was promoted or read",
        "Database replication or failover went wrong: a replica that was behind the primary "
        "was promoted, or reads went to a lagging replica, so writes were lost or stale data was "
        "served; replication broke and failover did not work as designed.",
        r"replica(?:tion)? lag|lagging replica|(?:was|were) (?:\d+ ?\w+ )?behind (?:the )?"
        r"primary|promot\w+ (?:a |the )?(?:lagging |stale )?replica|failover (?:failed|went "
        r"wrong)|replication (?:broke|failed|stopped|delay)|stale reads?",
        r"replica\w*|replicat\w+|failover|fail(?:ed)? over|primary|secondary|master|slave|"
        r"promot\w+|standby",
    ),
    _m(
        "split-brain",
        "split brain: two primaries at once",
        "After a network partition or failed failover, two nodes of a cluster both acted as "
        "primary and accepted writes independently: split brain, conflicting writes.",
        r"split[- ]brain|two (?:primaries|masters|leaders)|both (?:nodes )?(?:acted|believed|"
        r"thought)",
        r"partition\w*|quorum|leader|primary|fencing",
    ),
    _m(
        "data-corruption",
        "data was silently corrupted",
        "Stored data was silently corrupted: bit flips, faulty hardware, firmware or a software "
        "bug wrote wrong bytes, and the corruption propagated before anyone noticed.",
        r"corrupt\w+|bit[- ]?flips?|checksum (?:mismatch|error|failure)|silent data",
        r"checksums?|integrity|bytes|wrong data|garbage",
    ),
    _m(
        "operator-deletion",
        "production data deleted by mistake",
        "A person ran a command, script or query against production by mistake and deleted or "
        "truncated data or resources; backups were missing, untested or slow to restore.",
        r"accidental(?:ly)? (?:delet|remov|drop|truncat)\w*|(?:deleted|dropped|truncated|"
        r"removed) (?:the )?(?:production|prod|wrong)|rm -rf|drop table|"
        r"wrong (?:database|server|host|environment)|restore from backup",
        r"delet\w+|drop(?:ped)?|truncat\w+|backups?|restor\w+|wiped",
    ),
    _m(
        "automated-deletion",
        "an automated job deleted live resources",
        "An automated cleanup, garbage-collection or maintenance job deleted production "
        "resources, data or accounts that were still in use, because of a bug or a bad input.",
        r"(?:cleanup|clean-up|garbage[- ]collect\w*|maintenance|automated) (?:job|script|process|"
        r"tool) (?:deleted|removed|purged)|(?:job|script|automation) (?:deleted|removed|purged)",
        r"cleanup|clean-up|purg\w+|garbage collect\w*",
    ),
    _m(
        "id-overflow",
        "an ID or counter overflowed its type",
        "A numeric counter, ID column, sequence or transaction ID exceeded the range of its type "
        "(32-bit integer overflow, transaction ID wraparound), so inserts failed or values "
        "wrapped around.",
        r"(?:integer|int|counter|32-?bit|signed) overflow|overflow\w*|wraparound|wrap(?:ped)? "
        r"around|2\^?31|2,?147,?483,?647|maximum value|int32|xid",
        r"integer|32-?bit|counter|sequence|id column|auto[- ]?increment|bigint",
    ),
    _m(
        "lock-contention",
        "a lock blocked everything behind it",
        "A lock blocked other work: a long transaction, table lock from a migration or DDL, "
        "vacuum, or an in-process mutex made requests queue behind it until they timed out.",
        r"lock contention|(?:table|row|exclusive|global) lock|deadlock\w*|(?:held|holding|"
        r"acquired|waiting (?:for|on)) (?:a |the )?lock|mutex|lock queue",
        r"locks?|locked|blocking|ddl|vacuum|transaction",
    ),
    _m(
        "idempotency-lost",
        "duplicates got past the idempotency check",
        "At-least-once delivery or client retries sent the same request twice and the "
        "deduplication or idempotency check did not catch it, because the idempotency key was "
        "missing, regenerated, expired or evicted: duplicate messages, double charges, repeated "
        "side effects.",
        r"idempoten\w+|dedup\w*|de-dup\w*|duplicate (?:messages?|events?|webhooks?|"
        r"deliver\w+|requests?|charges?|payments?|captures?|orders?)|double[- ](?:charg\w+|"
        r"captur\w+|billing|process\w+)|exactly[- ]once|at[- ]least[- ]once",
        r"duplicat\w+|twice|redeliver\w*|replay\w*",
    ),
    _m(
        "duplicate-run",
        "a scheduled job ran twice at once",
        "A scheduled or batch job started a second time while the first was still running, "
        "because two schedulers both believed they were leader or runs were allowed to "
        "overlap, and nothing in the job guarded against a concurrent run: double invoices, "
        "duplicate emails, repeated side effects.",
        r"ran twice|(?:two|both) (?:runs|instances|schedulers|nodes) (?:ran|started|executed)|"
        r"concurrent (?:run|execution)s?|overlapping runs|runs? overlapped|concurrencypolicy|"
        r"(?:second|another) (?:concurrent )?run|double[- ]run",
        r"cron\w*|scheduler|schedule\w*|batch|overlap\w*|leader|lease",
    ),
    _m(
        "cache-wrong-content",
        "a cache served one user's content to others",
        "A cache stored a response under a key that ignored who asked, or was poisoned, so one "
        "user's private or wrong content was served to others.",
        r"cache (?:key|poison\w*)|cache-control|cached (?:personal\w*|private|wrong)|"
        r"served (?:to )?(?:other|another|the wrong) (?:users?|customers?)|vary header",
        r"cache\w*|cdn|private|personal\w*|session",
    ),
    _m(
        "silent-stale-data",
        "a job silently stopped producing fresh data",
        "A pipeline, batch job or sync silently stopped working or wrote nothing while reporting "
        "success, and downstream consumers used stale data because the monitoring checked the "
        "wrong signal.",
        r"stale (?:data|features?|results?)|(?:reported|reporting) success|silently (?:stopped|"
        r"failed|skipped|dropped)|freshness|wrote (?:nothing|zero rows)",
        r"stale|silent(?:ly)?|pipeline|batch|materializ\w+|sync|lag",
    ),
    _m(
        "poison-input",
        "an unusual input crashed the service",
        "A malformed, oversized or pathological input, message or request triggered a latent "
        "bug: the service crashed, looped or stalled on it, often repeatedly (poison pill, "
        "regular-expression backtracking, edge case never tested).",
        r"poison(?:ed)? (?:pill|message|record)|malformed (?:input|request|message|data|packet)|"
        r"edge case|corner case|catastrophic backtracking|regular expression|regex|"
        r"crash[- ]?loop\w*|unexpected input",
        r"malformed|pars(?:er|ing)|unusual|latent|pathological",
    ),
    _m(
        "race-condition",
        "a race between concurrent operations",
        "Two concurrent operations interleaved in an unexpected order: a race condition or "
        "concurrency bug that appeared only under specific timing.",
        r"race condition|race between|concurren\w+ (?:bug|issue|defect)|timing (?:bug|issue)|"
        r"(?:lost|conflicting) updates?",
        r"concurren\w+|race|timing|simultaneous\w*|interleav\w+",
    ),
    # -- time ----------------------------------------------------------------------------------
    _m(
        "certificate-expired",
        "a certificate expired unnoticed",
        "A TLS certificate, signing key, token or credential reached its expiry date without "
        "anyone renewing it, and handshakes or signature validation started failing.",
        r"(?:certificate|cert|credential|token|key|signature|ca)s? (?:had )?(?:expir\w+|lapsed)|"
        r"(?:reached|passed) its (?:end|expiry|expiration|notafter) (?:date|time)|"
        r"(?:certificate|cert)s?(?: \S+){0,5}? (?:had |has )?(?:expired|lapsed)|"
        r"expir\w+ (?:certificate|cert|credential|token)s?|certificate expir\w+|notafter|"
        r"(?:renew|rotat)\w* (?:the )?(?:certificate|cert|credential|key)s?",
        r"certificates?|certs?|tls|ssl|mtls|x\.?509|expir\w+|renew\w*|pki|lapsed|validity",
    ),
    _m(
        "time-handling",
        "time zone, DST or clock handling went wrong",
        "Code mishandled time: a leap second, daylight saving change, time zone offset, leap "
        "year, clock skew or date rollover produced wrong times or crashed systems.",
        r"leap (?:second|year|day)|daylight saving|dst|time ?zones?|utc offset|clock (?:skew|"
        r"drift|jump)|ntp|y2k|date rollover|february 29",
        r"clocks?|calendar|offset|midnight|timestamps?",
    ),
    # -- network and infrastructure -------------------------------------------------------------
    _m(
        "dns",
        "DNS failed or pointed at the wrong place",
        "DNS broke: a bad record, expired domain, TTL and caching during a cutover, or a "
        "failing DNS provider or resolver meant names did not resolve or pointed at the wrong "
        "place.",
        r"dns|domain name|resolvers?|name ?servers?|ttl|cname|a records?|route ?53|registrar",
        r"resolv\w+|records?|domain|lookup|zone",
    ),
    _m(
        "bgp-routing",
        "a routing change withdrew traffic (BGP)",
        "A BGP announcement or routing change withdrew prefixes, leaked routes or sent traffic "
        "the wrong way, making networks unreachable.",
        r"bgp|route leak|(?:withdr[ae]w\w*|announc\w+) (?:the )?(?:routes?|prefix\w*)|"
        r"prefix(?:es)?|autonomous system|peering",
        r"routing|routes?|backbone|border|announce\w*",
    ),
    _m(
        "network-partition",
        "a network link or device failed",
        "A network partition, fibre cut, failed switch or router, or link failure isolated "
        "parts of the system from each other.",
        r"network partition|fib(?:re|er) cut|(?:switch|router|link) fail\w*|failed (?:switch|"
        r"router|link)|partitioned|connectivity (?:loss|lost)|cable",
        r"network|switch\w*|router\w*|links?|connectivity|packet loss",
    ),
    _m(
        "network-saturation",
        "a saturated network dropped packets",
        "Network links or devices were saturated by traffic and dropped packets, raising "
        "latency and errors across services.",
        r"(?:network|link|bandwidth) (?:saturat\w+|congest\w+)|packet loss|dropp\w+ packets|"
        r"congestion",
        r"bandwidth|packets?|saturat\w+|congest\w+|throughput",
    ),
    _m(
        "power-loss",
        "the facility lost power",
        "A datacenter lost utility power and the backup generators or UPS failed to carry the "
        "load, so racks of servers went down.",
        r"power (?:outage|loss|failure|cut)|lost power|loss of power|generators?|ups|"
        r"transformer|utility power|power supply",
        r"power|electric\w*|datacent(?:er|re)|facility|grid|battery",
    ),
    _m(
        "cooling",
        "cooling failed and hardware overheated",
        "Datacenter cooling failed or the weather overwhelmed it; temperatures rose and "
        "hardware shut down or was shut down to protect it.",
        r"cooling|overheat\w*|thermal|temperatures?|chiller|heat ?wave|hvac",
        r"heat|hot|air conditioning",
    ),
    _m(
        "hardware-failure",
        "a hardware component failed",
        "A physical component failed: a disk, SSD, memory module, NIC, host or storage array "
        "broke, or its firmware had a bug.",
        r"hardware (?:fail\w*|fault|issue)|firmware|faulty (?:disk|hardware|nic|memory)|"
        r"disk fail\w*|ssd|storage array|raid",
        r"hardware|disks?|nic|firmware|physical",
    ),
    _m(
        "health-check-eviction",
        "health checks removed healthy capacity",
        "A health check, failure detector or load balancer wrongly marked healthy servers as "
        "failed and removed them, shrinking capacity and overloading the rest.",
        r"health ?checks?|failure detector|marked (?:as )?(?:unhealthy|down|failed)|"
        r"(?:removed|ejected|evicted) (?:from )?(?:the )?(?:pool|rotation|load balancer)",
        r"unhealthy|load balancers?|rotation|probe|heartbeat",
    ),
    _m(
        "coordination-service",
        "the coordination service lost quorum",
        "A coordination or consensus service (ZooKeeper, etcd, Consul, a lock service) was "
        "overloaded or lost quorum, and everything that depended on it stalled.",
        r"zookeeper|etcd|consul|chubby|quorum|consensus|leader election|raft|paxos",
        r"coordinat\w+|leader|election|lease",
    ),
    _m(
        "provider-outage",
        "an upstream provider failed",
        "A third-party provider, cloud service or upstream dependency outside our control had "
        "its own outage, and our service failed with it.",
        r"third[- ]party|upstream (?:provider|vendor|outage)|(?:provider|vendor|partner)'?s? "
        r"(?:outage|incident|failure)|cloud provider|external (?:dependency|provider|service)",
        r"provider|vendor|upstream|saas|external",
    ),
    _m(
        "eviction-disruption",
        "every replica was taken down together",
        "An orchestrator drain, node upgrade or rescheduling took every replica of a service "
        "down at the same time because they were packed together and disruption limits were "
        "bypassed.",
        r"(?:pod|node) (?:eviction|drain\w*)|evict\w+ (?:every|all)|disruption budget|pdb|"
        r"drain\w* (?:the )?nodes?|node (?:pool|group) upgrade|topology ?spread",
        r"kubernetes|k8s|pods?|nodes?|evict\w*|drain\w*|replicas?|reschedul\w+",
    ),
    # -- security ------------------------------------------------------------------------------
    _m(
        "leaked-secret",
        "a leaked secret let an attacker in",
        "A secret, API key, password or access token was exposed in a repository, log or "
        "public place, and an attacker used it to get in.",
        r"(?:leaked|exposed|stolen|compromised) (?:secret|credential|key|token|password)s?|"
        r"(?:secret|credential|key|token|password)s? (?:were |was )?(?:leaked|exposed|stolen|"
        r"committed)",
        r"secrets?|credentials?|tokens?|passwords?|attacker|breach",
    ),
    _m(
        "vulnerability",
        "an attacker exploited a vulnerability",
        "An attacker exploited a software vulnerability (injection, remote code execution, "
        "an unpatched flaw) to get access or run code.",
        r"vulnerabilit\w+|exploit\w*|remote code execution|injection|cve-\d+|zero[- ]day|"
        r"unpatched",
        r"attacker|security|breach|malicious|hack\w*",
    ),
    _m(
        "account-compromise",
        "an account or device was compromised",
        "An employee, contractor or user account or device was compromised by phishing, "
        "password reuse or missing two-factor authentication, giving an attacker access.",
        r"phish\w*|password reuse|two[- ]factor|2fa|mfa|compromised (?:account|laptop|device|"
        r"employee)|insider|social engineering|account takeover",
        r"employee|contractor|login|credentials?",
    ),
    _m(
        "data-exposure",
        "one user's data was exposed to others",
        "A bug or misconfiguration exposed one customer's or user's data to other users, or "
        "made private storage publicly readable.",
        r"(?:exposed|leaked|shown|visible) to (?:other|another|the wrong) (?:users?|customers?|"
        r"tenants?)|data (?:leak|exposure)|publicly (?:readable|accessible)|privacy",
        r"exposed|private|tenant|other users|personal",
    ),
    _m(
        "supply-chain",
        "a malicious package or dependency",
        "A package, library or build dependency was published or altered by an attacker, and "
        "it ran inside the build or the product.",
        r"malicious (?:package|dependency|library|version)|supply[- ]chain|typosquat\w*|"
        r"(?:npm|pypi|package registry)",
        r"package|dependency|publish\w*|maintainer",
    ),
    # -- people and process ----------------------------------------------------------------------
    _m(
        "operator-slip",
        "an operator command hit far more than intended",
        "An engineer ran a routine command with a typo or wrong parameter, and it affected far "
        "more servers or data than intended; the tool had no guard against it.",
        r"typo|mistyp\w+|wrong (?:parameter|argument|command|input)|(?:larger|more) (?:set of )?"
        r"(?:servers|hosts|capacity) than intended|blast radius|human error|operator error",
        r"operator|playbook|runbook|unintended|mistaken\w*",
    ),
    _m(
        "manual-procedure",
        "a manual maintenance step went wrong",
        "A planned maintenance or manual operational procedure was executed incorrectly: a step "
        "skipped, done out of order or on the wrong system.",
        r"maintenance (?:procedure|window|step)|manual (?:procedure|step|process|change)|"
        r"runbook|checklist|skipped (?:a )?step",
        r"maintenance|procedure|manual(?:ly)?",
    ),
    _m(
        "alert-gap",
        "monitoring missed it",
        "The failure went unnoticed because an alert was silenced, missing, routed to nobody or "
        "checked the wrong signal, so a slow problem grew into an outage.",
        r"alert (?:was )?(?:muted|silenced|missing|disabled)|(?:no|missing) alert\w*|"
        r"silenc\w+|went unnoticed|nobody noticed|not alerted",
        r"alert\w*|monitor\w*|dashboard|noticed|silent\w*",
    ),
    _m(
        "untested-fallback",
        "the fallback had never been tested",
        "When the primary path failed, the backup, fallback or failover mechanism did not take "
        "over, because it had never been exercised in production and was broken.",
        r"(?:untested|never tested|never exercised|broken) (?:fallback|failover|backup)|"
        r"fallback (?:never|did not|didn't|failed)|failover (?:did not|didn't|never)",
        r"fallback|backup|failover|degraded mode|never (?:ran|worked)",
    ),
    # -- machine learning ---------------------------------------------------------------------
    _m(
        "model-data-mismatch",
        "a model got data it was not built for",
        "A machine-learning model or vector index received inputs from a different version: "
        "mixed embedding models, training-serving skew, stale or wrong features, so quality "
        "collapsed silently.",
        r"embedding models?|mixed (?:embeddings?|vectors?)|training[- ]serving skew|"
        r"feature (?:store|skew|drift)|model (?:drift|mismatch|version)|vector (?:index|space)",
        r"embeddings?|vectors?|features?|inference|training|drift",
    ),
    _m(
        "llm-ungrounded",
        "a language model answered without grounding",
        "A language-model feature produced confident wrong output (hallucination) because "
        "retrieval returned nothing useful or the prompt demanded an answer, and no validation "
        "checked the output.",
        r"hallucinat\w+|llm|language model|prompt|guardrails?|rag|retrieval[- ]augmented",
        r"prompts?|generat\w+ (?:answers?|output)|retrieval|grounding",
    ),
)

BY_KEY: dict[str, FailureMode] = {m.key: m for m in VOCABULARY}
