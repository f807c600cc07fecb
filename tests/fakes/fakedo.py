#!/usr/bin/env python3
"""fakedo.py: the project's DigitalOcean API v2 test endpoint, a small HTTP
server on loopback speaking the JSON shapes of the calls the daemon makes.

No DigitalOcean account is reachable from the tests. This fake keeps droplets,
actions, load balancers, firewalls and reserved IPs in memory, checks the
bearer token, counts a rate-limit budget per token and sends the ratelimit-*
headers on every reply, and injects what tests need to see: 5xx, latency,
answers that cannot be parsed, actions that end "errored", a shutdown the
droplet ignores. It logs every request so tests can assert what the daemon
called, and when.

Start it (the machine image's python3; only the standard library is used):

    python3 tests/fakes/fakedo.py --port 0 --env-file $T/do.env
    # prints FAKEDO_PORT=<port> and FAKEDO_URL=<url> once ready, and writes
    # them to the env file.

Options:
    --port N            listen on 127.0.0.1:N (0 picks a free port)
    --token TOKEN       the accepted bearer token, repeatable
                        (default: do-test-token)
    --action-delay S    seconds an action stays "in-progress" (default 0.3)
    --ratelimit N       requests per hour per token (default 5000)
    --env-file FILE     write FAKEDO_PORT= and FAKEDO_URL= lines, for a shell
                        to source
    --verbose           log every request on stderr

The API (paths under /v2, JSON, "Authorization: Bearer TOKEN" required):
    GET    /v2/droplets[?tag_name=T&name=N&page=P&per_page=M]
        {"droplets":[...], "links":{"pages":{"first","prev","next","last"}},
         "meta":{"total":N}}; per_page 20 by default, at most 200; the links
        are absolute URLs on this fake, present only when they apply
        ("links": {} for a single page), as the real API does.
    GET    /v2/droplets/ID          {"droplet":{...}}
    DELETE /v2/droplets/ID          204, then 404 for that id
    POST   /v2/droplets/ID/actions  {"type":"shutdown"|"power_off"|"power_on"|
                                     "reboot"|"snapshot", "name":...}
        201 {"action":{"id","status":"in-progress","type","started_at",
        "completed_at":null,"resource_id","resource_type":"droplet",
        "region":{...},"region_slug"}}; 422 unprocessable_entity for an
        unknown type or while the droplet has an action in progress.
    GET    /v2/actions/ID, GET /v2/droplets/ID/actions/AID
        {"action":{...}}: "in-progress" for --action-delay seconds, then
        "completed" (shutdown and power_off turn the droplet "off", power_on
        and reboot "active", snapshot adds a snapshot id to the droplet's
        snapshot_ids; a snapshot of an active droplet is allowed) or
        "errored" (see action_error below).
    GET    /v2/load_balancers/ID    {"load_balancer":{...}}
    GET    /v2/firewalls/ID         {"firewall":{...}}
    GET    /v2/reserved_ips/IP      {"reserved_ip":{...}}
    DELETE each of those            204, then 404
Errors are {"id":..., "message":...} with the status: 401 unauthorized
"Unable to authenticate you.", 404 not_found "The resource you were accessing
could not be found.", 422 unprocessable_entity, 429 too_many_requests "API
Rate limit exceeded.", 500 server_error, 503 service_unavailable. Every reply
to an authenticated request carries ratelimit-limit, ratelimit-remaining and
ratelimit-reset (unix seconds); a 429 also carries retry-after (seconds).

Operations (for "operations" and the log): list_droplets, get_droplet,
droplet_action, get_action, delete_droplet, get_load_balancer,
delete_load_balancer, get_firewall, delete_firewall, get_reserved_ip,
delete_reserved_ip.

Control API, on the same port under /_fake/, never authenticated, JSON:
    POST /_fake/droplets    {"droplets":[{"name":"web-1","tags":["shop"],
                              "private_ip":"10.10.0.5","public_ip":...,
                              "status":"active","region":"fra1"}]}
        adds droplets (ids assigned, increasing); answers {"ids":[...],
        "droplets":[...]} as GET /v2/droplets/ID would show them.
    POST /_fake/resources   {"load_balancers":[{"name":"lb"}],
                             "firewalls":[{"name":"fw"}],
                             "reserved_ips":[{"ip":"203.0.113.7"}]}
        adds those (ids assigned unless given); answers {"load_balancers":
        [ids], "firewalls":[ids], "reserved_ips":[ips]}.
    POST /_fake/faults      {"error_rate":0.5, "error_status":503,
                             "garbage_rate":0, "unexpected_rate":0,
                             "operations":["droplet_action"],
                             "action_error":{"type":"shutdown"},
                             "shutdown_ignored":true,
                             "ratelimit":{"limit":5,"remaining":1,
                                          "reset_in_s":2,"window_s":3600},
                             "latency_ms":200, "count":2, "seed":42}
        replaces the fault settings (all optional). A request whose operation
        is in "operations" (any when absent) waits latency_ms, then with
        error_rate fails (500 server_error or 503 service_unavailable, drawn,
        or "error_status"), with garbage_rate is answered 200 with a document
        cut short, with unexpected_rate 200 with well-formed JSON of the wrong
        shape ({"unexpected": true}); a failed request has no effect. "count"
        stops injecting after that many faults; "seed" makes draws
        repeatable. "action_error": actions of that type (or every action
        when "type" is absent) end "errored" with no effect. "shutdown_ignored":
        a shutdown completes but the droplet stays active (the guest ignored
        it), so the client must power_off. "ratelimit" sets every token's
        budget now: limit, remaining (default limit), reset in reset_in_s
        (default window_s), then windows of window_s (default 3600) with
        the full limit; while remaining is 0 requests get 429 and do not
        count.
    GET  /_fake/faults      the settings and "injected", the faults so far
    POST /_fake/config      {"action_delay_s":0.3} (kept across /_fake/faults)
    GET  /_fake/log[?since=SEQ&operation=NAME]
        the requests seen, oldest first: {"seq", "time" (epoch s),
        "time_ms" (epoch ms of arrival), "method", "path", "operation",
        "status", "fault", "elapsed_ms"}
    GET  /_fake/state       {"droplets":[...], "actions":[...], "deleted":[ids,
                             in order], "delete_counts":{"ID": 204s},
                             "delete_requests":{"ID": DELETEs answered
                             204 or 404}, "snapshots":[...],
                             "load_balancers", "firewalls", "reserved_ips",
                             "deleted_resources":{"load_balancer":[...],...},
                             "ratelimit":{"TOKEN": {...}} (tokens shown as
                             their first 4 characters)}
    POST /_fake/reset       clears everything (droplets, resources, actions,
                            faults, log, rate limits; config back to the
                            command line's)
    GET  /_fake/health      {"ok": true}
"""

import argparse
import datetime
import json
import random
import sys
import threading
import time
import urllib.parse
import uuid

import fakehttp

DEFAULT_TOKEN = "do-test-token"
PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 200
ACTION_TYPES = ("shutdown", "power_off", "power_on", "reboot", "snapshot")

MESSAGES = {
    401: ("unauthorized", "Unable to authenticate you."),
    404: ("not_found", "The resource you were accessing could not be found."),
    429: ("too_many_requests", "API Rate limit exceeded."),
    500: ("server_error", "Server was unable to give you a response."),
    503: ("service_unavailable", "The service is temporarily unavailable. "
          "Please try again later."),
}
REGIONS = {
    "nyc3": "New York 3", "fra1": "Frankfurt 1", "ams3": "Amsterdam 3",
    "sfo3": "San Francisco 3", "lon1": "London 1", "sgp1": "Singapore 1",
}


class ApiError(Exception):
    def __init__(self, status, ident=None, message=None):
        super().__init__(message)
        self.status = status
        self.ident = ident or MESSAGES[status][0]
        self.message = message or MESSAGES[status][1]


def iso(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def region_obj(slug):
    return {"name": REGIONS.get(slug, slug), "slug": slug,
            "sizes": ["s-1vcpu-1gb", "s-2vcpu-2gb"],
            "features": ["backups", "ipv6", "metadata", "install_agent",
                         "private_networking"], "available": True}


class Fake:
    """Everything the fake knows, behind one lock."""

    def __init__(self, tokens, action_delay, ratelimit):
        self.tokens = tokens
        self.default_delay = action_delay
        self.default_limit = ratelimit
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.droplets = {}          # id -> droplet (wire shape)
        self.next_droplet = 3164444
        self.actions = {}           # id -> action, with private _fields
        self.next_action = 36804636
        self.next_snapshot = 6372321
        self.snapshots = []
        self.deleted = []
        self.delete_counts = {}
        self.delete_requests = {}
        self.resources = {"load_balancer": {}, "firewall": {},
                          "reserved_ip": {}}
        self.deleted_resources = {"load_balancer": [], "firewall": [],
                                  "reserved_ip": []}
        self.faults = {}
        self.rng = random.Random()
        self.injected = 0
        self.log = []
        self.seq = 0
        self.action_delay = self.default_delay
        self.limits = {}            # token -> {limit, remaining, reset, window}

    # -- rate limits

    def budget(self, token, now):
        b = self.limits.get(token)
        if b is None:
            b = {"limit": self.default_limit, "remaining": self.default_limit,
                 "reset": int(now) + 3600, "window": 3600}
            self.limits[token] = b
        if now >= b["reset"]:
            b["remaining"] = b["limit"]
            # The next reset is the first window boundary after now.
            while b["reset"] <= now:
                b["reset"] += b["window"]
        return b

    def set_ratelimit(self, spec, now):
        limit = int(spec.get("limit", self.default_limit))
        window = int(spec.get("window_s", 3600))
        if limit < 0 or window < 1:
            raise ValueError("ratelimit: limit >= 0 and window_s >= 1")
        remaining = int(spec.get("remaining", limit))
        reset_in = float(spec.get("reset_in_s", window))
        for token in self.tokens:
            self.limits[token] = {"limit": limit, "remaining": remaining,
                                  "reset": int(now + reset_in + 0.999),
                                  "window": window}

    # -- actions

    def advance(self, now):
        """Finish the actions whose time has come, in order."""
        for a in sorted(self.actions.values(), key=lambda x: x["id"]):
            if a["status"] != "in-progress" or now < a["_done_at"]:
                continue
            a["completed_at"] = iso(a["_done_at"])
            if a["_errored"]:
                a["status"] = "errored"
                continue
            a["status"] = "completed"
            d = self.droplets.get(a["resource_id"])
            if d is None:
                continue
            t = a["type"]
            if t == "shutdown" and not a["_ignored"]:
                d["status"] = "off"
            elif t == "power_off":
                d["status"] = "off"
            elif t in ("power_on", "reboot"):
                d["status"] = "active"
            elif t == "snapshot":
                sid = self.next_snapshot
                self.next_snapshot += 1
                d["snapshot_ids"].append(sid)
                self.snapshots.append({
                    "id": sid, "name": a["_name"], "droplet_id": d["id"],
                    "created_at": a["completed_at"]})
            d["locked"] = False

    def public_action(self, a):
        return {k: v for k, v in a.items() if not k.startswith("_")}

    # -- droplets

    def add_droplet(self, spec, now):
        did = int(spec.get("id") or self.next_droplet)
        self.next_droplet = max(self.next_droplet, did) + 1
        if did in self.droplets:
            raise ValueError("droplet %d exists" % did)
        n = len(self.droplets) + len(self.deleted)
        region = spec.get("region", "nyc3")
        status = spec.get("status", "active")
        if status not in ("new", "active", "off", "archive"):
            raise ValueError("status: new, active, off or archive")
        v4 = []
        priv = spec.get("private_ip", "10.10.%d.%d" % (n // 250, 2 + n % 250))
        pub = spec.get("public_ip", "203.0.113.%d" % (10 + n % 240))
        if priv:
            v4.append({"ip_address": priv, "netmask": "255.255.0.0",
                       "gateway": "10.10.0.1", "type": "private"})
        if pub:
            v4.append({"ip_address": pub, "netmask": "255.255.255.0",
                       "gateway": "203.0.113.1", "type": "public"})
        d = {
            "id": did, "name": spec.get("name", "droplet-%d" % did),
            "memory": 1024, "vcpus": 1, "disk": 25, "locked": False,
            "status": status, "kernel": None, "created_at": iso(now),
            "features": ["private_networking"], "backup_ids": [],
            "next_backup_window": None, "snapshot_ids": [],
            "image": {"id": 129211873, "name": "24.04 (LTS) x64",
                      "distribution": "Ubuntu", "slug": "ubuntu-24-04-x64",
                      "public": True, "regions": [region],
                      "type": "base", "min_disk_size": 7,
                      "size_gigabytes": 2.36, "status": "available"},
            "volume_ids": [],
            "size": {"slug": "s-1vcpu-1gb", "memory": 1024, "vcpus": 1,
                     "disk": 25, "transfer": 1.0, "price_monthly": 6.0,
                     "price_hourly": 0.00893, "regions": [region],
                     "available": True},
            "size_slug": "s-1vcpu-1gb",
            "networks": {"v4": v4, "v6": []},
            "region": region_obj(region),
            "tags": list(spec.get("tags", [])),
            "vpc_uuid": "5a4981aa-9653-4bd1-bef5-d6bff52042e4",
        }
        self.droplets[did] = d
        return d

    def add_resource(self, kind, spec, now):
        if kind == "reserved_ip":
            rid = spec.get("ip") or "203.0.113.%d" % (
                100 + len(self.resources[kind]) + len(
                    self.deleted_resources[kind]))
            obj = {"ip": rid, "droplet": None,
                   "region": region_obj(spec.get("region", "nyc3")),
                   "locked": False, "project_id": str(uuid.uuid4())}
        elif kind == "load_balancer":
            rid = spec.get("id") or str(uuid.uuid4())
            obj = {"id": rid, "name": spec.get("name", "lb-" + rid[:8]),
                   "ip": spec.get("ip", "104.131.186.241"),
                   "status": "active", "created_at": iso(now),
                   "algorithm": "round_robin", "droplet_ids": [],
                   "tag": spec.get("tag", ""),
                   "region": region_obj(spec.get("region", "nyc3"))}
        else:
            rid = spec.get("id") or str(uuid.uuid4())
            obj = {"id": rid, "name": spec.get("name", "fw-" + rid[:8]),
                   "status": "succeeded", "created_at": iso(now),
                   "inbound_rules": [], "outbound_rules": [],
                   "droplet_ids": [], "tags": spec.get("tags", []),
                   "pending_changes": []}
        if rid in self.resources[kind]:
            raise ValueError("%s %s exists" % (kind, rid))
        self.resources[kind][rid] = obj
        return rid

    # -- faults

    def draw_fault(self, op):
        """None, or ("error", status) / ("garbage",) / ("unexpected",)."""
        f = self.faults
        ops = f.get("operations")
        if ops is not None and op not in ops:
            return None
        if "count" in f and self.injected >= f["count"]:
            return None
        if f.get("error_rate") and self.rng.random() < f["error_rate"]:
            self.injected += 1
            return ("error", f.get("error_status") or
                    self.rng.choice((500, 503)))
        if f.get("garbage_rate") and self.rng.random() < f["garbage_rate"]:
            self.injected += 1
            return ("garbage",)
        if f.get("unexpected_rate") and \
                self.rng.random() < f["unexpected_rate"]:
            self.injected += 1
            return ("unexpected",)
        return None

    def latency(self, op):
        f = self.faults
        ops = f.get("operations")
        if ops is not None and op not in ops:
            return 0
        return f.get("latency_ms", 0) / 1000.0


class Handler(fakehttp.Handler):
    server_version = "fakedo"
    json_type = "application/json; charset=utf-8"

    def base_url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def dispatch(self, body):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if url.path.startswith("/_fake/"):
            self.control(url.path, query, body)
        else:
            self.api(url.path, query, body)

    # -- the API

    @staticmethod
    def route(method, parts):
        """(operation, args) for /v2/... split on "/", or None."""
        if len(parts) < 2 or parts[0] != "v2":
            return None
        p = parts[1:]
        if p == ["droplets"] and method == "GET":
            return ("list_droplets", ())
        if len(p) == 2 and p[0] == "droplets" and p[1].isdigit():
            if method == "GET":
                return ("get_droplet", (int(p[1]),))
            if method == "DELETE":
                return ("delete_droplet", (int(p[1]),))
        if len(p) == 3 and p[0] == "droplets" and p[1].isdigit() and \
                p[2] == "actions" and method == "POST":
            return ("droplet_action", (int(p[1]),))
        if len(p) == 4 and p[0] == "droplets" and p[1].isdigit() and \
                p[2] == "actions" and p[3].isdigit() and method == "GET":
            return ("get_action", (int(p[3]), int(p[1])))
        if len(p) == 2 and p[0] == "actions" and p[1].isdigit() and \
                method == "GET":
            return ("get_action", (int(p[1]), None))
        kinds = {"load_balancers": "load_balancer", "firewalls": "firewall",
                 "reserved_ips": "reserved_ip"}
        if len(p) == 2 and p[0] in kinds and p[1]:
            kind = kinds[p[0]]
            if method == "GET":
                return ("get_" + kind, (kind, p[1]))
            if method == "DELETE":
                return ("delete_" + kind, (kind, p[1]))
        return None

    def api(self, path, query, body):
        fake = self.fake
        t0 = time.time()
        parts = [urllib.parse.unquote(x) for x in path.strip("/").split("/")]
        r = self.route(self.command, parts)
        op = r[0] if r else None
        entry = {"time": t0, "time_ms": int(t0 * 1000),
                 "method": self.command, "path": self.path, "operation": op,
                 "status": None, "fault": None}
        headers = []
        try:
            auth = self.headers.get("Authorization", "")
            token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
            if token not in fake.tokens:
                raise ApiError(401)
            with fake.lock:
                now = time.time()
                b = fake.budget(token, now)
                limited = b["remaining"] <= 0
                if not limited:
                    b["remaining"] -= 1
                headers = [("ratelimit-limit", str(b["limit"])),
                           ("ratelimit-remaining", str(b["remaining"])),
                           ("ratelimit-reset", str(b["reset"]))]
                if limited:
                    headers.append(("retry-after",
                                    str(max(1, int(b["reset"] - now + 0.999)))))
                    raise ApiError(429)
                delay = fake.latency(op)
            if delay:
                time.sleep(delay)
            if r is None:
                raise ApiError(404)
            with fake.lock:
                fault = fake.draw_fault(op)
            if fault is not None:
                entry["fault"] = fault[0]
                if fault[0] == "error":
                    raise ApiError(fault[1])
                if fault[0] == "garbage":
                    self.finish_api(entry, 200, headers + [
                        ("Content-Type", self.json_type)],
                        b'{"droplets": [{"id": 31644')
                    return
                self.finish_api(entry, 200, headers + [
                    ("Content-Type", self.json_type)],
                    b'{"unexpected": true}\n')
                return
            with fake.lock:
                fake.advance(time.time())
                status, obj = getattr(self, "op_" + op)(query, body,
                                                        *r[1])
            self.finish_json(entry, status, obj, headers)
        except ApiError as e:
            self.finish_json(entry, e.status, {"id": e.ident,
                                               "message": e.message},
                             headers)

    def finish_json(self, entry, status, obj, headers):
        self.finish_api(entry, status, *self.json_answer(obj, headers))

    def finish_api(self, entry, status, headers, body):
        fake = self.fake
        entry["status"] = status
        entry["elapsed_ms"] = int((time.time() - entry["time"]) * 1000)
        with fake.lock:
            fake.seq += 1
            entry["seq"] = fake.seq
            fake.log.append(entry)
        if self.verbose:
            sys.stderr.write("fakedo: %s %s -> %d%s\n" % (
                entry["method"], entry["path"], status,
                " (%s)" % entry["fault"] if entry["fault"] else ""))
        self.reply(status, headers, body)

    def json_body(self, body):
        if not body:
            return {}
        try:
            obj = json.loads(body)
        except ValueError:
            raise ApiError(400, "bad_request", "Unable to parse request body.")
        if not isinstance(obj, dict):
            raise ApiError(400, "bad_request", "Unable to parse request body.")
        return obj

    def droplet(self, did):
        d = self.fake.droplets.get(did)
        if d is None:
            raise ApiError(404)
        return d

    def op_list_droplets(self, query, body):
        fake = self.fake
        tag = query.get("tag_name", [None])[0]
        name = query.get("name", [None])[0]
        try:
            page = int(query.get("page", ["1"])[0])
            per_page = int(query.get("per_page", [str(PER_PAGE_DEFAULT)])[0])
        except ValueError:
            raise ApiError(400, "bad_request", "page and per_page must be "
                           "integers")
        if page < 1:
            page = 1
        if per_page < 1:
            per_page = PER_PAGE_DEFAULT
        per_page = min(per_page, PER_PAGE_MAX)
        sel = [d for _, d in sorted(fake.droplets.items())
               if (tag is None or tag in d["tags"]) and
               (name is None or d["name"] == name)]
        total = len(sel)
        last = max(1, (total + per_page - 1) // per_page)
        chunk = sel[(page - 1) * per_page:page * per_page]

        def link(p):
            q = [("page", str(p)), ("per_page", str(per_page))]
            if tag is not None:
                q.append(("tag_name", tag))
            if name is not None:
                q.append(("name", name))
            return "%s/v2/droplets?%s" % (self.base_url(),
                                          urllib.parse.urlencode(q))
        pages = {}
        if page > 1:
            pages["first"] = link(1)
            pages["prev"] = link(min(page - 1, last))
        if page < last:
            pages["last"] = link(last)
            pages["next"] = link(page + 1)
        links = {"pages": pages} if pages else {}
        return 200, {"droplets": chunk, "links": links,
                     "meta": {"total": total}}

    def op_get_droplet(self, query, body, did):
        return 200, {"droplet": self.droplet(did)}

    def op_delete_droplet(self, query, body, did):
        fake = self.fake
        key = str(did)
        fake.delete_requests[key] = fake.delete_requests.get(key, 0) + 1
        self.droplet(did)
        del fake.droplets[did]
        fake.deleted.append(did)
        fake.delete_counts[key] = fake.delete_counts.get(key, 0) + 1
        return 204, None

    def op_droplet_action(self, query, body, did):
        fake = self.fake
        req = self.json_body(body)
        d = self.droplet(did)
        t = req.get("type")
        if t not in ACTION_TYPES:
            raise ApiError(422, "unprocessable_entity",
                           "%s is not a valid action type." % (t,))
        for a in fake.actions.values():
            if a["resource_id"] == did and a["status"] == "in-progress":
                raise ApiError(422, "unprocessable_entity",
                               "Droplet already has a pending event.")
        now = time.time()
        err = fake.faults.get("action_error")
        errored = isinstance(err, dict) and err.get("type") in (None, t)
        aid = fake.next_action
        fake.next_action += 1
        a = {"id": aid, "status": "in-progress", "type": t,
             "started_at": iso(now), "completed_at": None,
             "resource_id": did, "resource_type": "droplet",
             "region": d["region"], "region_slug": d["region"]["slug"],
             "_done_at": now + fake.action_delay, "_errored": errored,
             "_ignored": t == "shutdown" and
             bool(fake.faults.get("shutdown_ignored")),
             "_name": req.get("name") or "%s-%d" % (d["name"], int(now))}
        if t == "snapshot":
            d["locked"] = True
        fake.actions[aid] = a
        fake.advance(now)
        return 201, {"action": fake.public_action(a)}

    def op_get_action(self, query, body, aid, did):
        a = self.fake.actions.get(aid)
        if a is None or (did is not None and a["resource_id"] != did):
            raise ApiError(404)
        return 200, {"action": self.fake.public_action(a)}

    def resource(self, kind, rid):
        obj = self.fake.resources[kind].get(rid)
        if obj is None:
            raise ApiError(404)
        return obj

    def op_get_load_balancer(self, query, body, kind, rid):
        return 200, {kind: self.resource(kind, rid)}

    op_get_firewall = op_get_reserved_ip = op_get_load_balancer

    def op_delete_load_balancer(self, query, body, kind, rid):
        self.resource(kind, rid)
        del self.fake.resources[kind][rid]
        self.fake.deleted_resources[kind].append(rid)
        return 204, None

    op_delete_firewall = op_delete_reserved_ip = op_delete_load_balancer

    # -- the control API

    def control(self, path, query, body):
        fake = self.fake
        verb = (self.command, path.rstrip("/"))
        try:
            req = json.loads(body) if body.strip() else {}
            if not isinstance(req, dict):
                raise ValueError("want a JSON object")
            now = time.time()
            with fake.lock:
                if verb == ("GET", "/_fake/health"):
                    out = {"ok": True}
                elif verb == ("POST", "/_fake/reset"):
                    fake.reset()
                    out = {"ok": True}
                elif verb == ("POST", "/_fake/droplets"):
                    ds = [fake.add_droplet(s, now)
                          for s in req.get("droplets", [])]
                    out = {"ids": [d["id"] for d in ds], "droplets": ds}
                elif verb == ("POST", "/_fake/resources"):
                    out = {}
                    for key, kind in (("load_balancers", "load_balancer"),
                                      ("firewalls", "firewall"),
                                      ("reserved_ips", "reserved_ip")):
                        out[key] = [fake.add_resource(kind, s, now)
                                    for s in req.get(key, [])]
                elif verb == ("POST", "/_fake/faults"):
                    known = {"error_rate", "error_status", "garbage_rate",
                             "unexpected_rate", "operations",
                             "action_error", "shutdown_ignored",
                             "ratelimit", "latency_ms", "count", "seed"}
                    unknown = set(req) - known
                    if unknown:
                        raise ValueError("unknown fault settings: %s" %
                                         ", ".join(sorted(unknown)))
                    if req.get("error_status") not in (None, 500, 503):
                        raise ValueError("error_status: 500 or 503")
                    if "ratelimit" in req:
                        fake.set_ratelimit(req["ratelimit"], now)
                    fake.faults = req
                    fake.injected = 0
                    fake.rng = random.Random(req.get("seed"))
                    out = {"ok": True}
                elif verb == ("GET", "/_fake/faults"):
                    out = dict(fake.faults, injected=fake.injected)
                elif verb == ("POST", "/_fake/config"):
                    if "action_delay_s" in req:
                        fake.action_delay = float(req["action_delay_s"])
                    out = {"action_delay_s": fake.action_delay}
                elif verb == ("GET", "/_fake/log"):
                    since = int(query.get("since", ["0"])[0])
                    opn = query.get("operation", [None])[0]
                    out = [e for e in fake.log if e["seq"] > since and
                           (opn is None or e["operation"] == opn)]
                elif verb == ("GET", "/_fake/state"):
                    fake.advance(now)
                    out = {
                        "droplets": [d for _, d in
                                     sorted(fake.droplets.items())],
                        "actions": [fake.public_action(a) for _, a in
                                    sorted(fake.actions.items())],
                        "deleted": fake.deleted,
                        "delete_counts": fake.delete_counts,
                        "delete_requests": fake.delete_requests,
                        "snapshots": fake.snapshots,
                        "load_balancers": list(
                            fake.resources["load_balancer"].values()),
                        "firewalls": list(
                            fake.resources["firewall"].values()),
                        "reserved_ips": list(
                            fake.resources["reserved_ip"].values()),
                        "deleted_resources": fake.deleted_resources,
                        "ratelimit": {t[:4]: dict(b) for t, b in
                                      fake.limits.items()},
                        "action_delay_s": fake.action_delay,
                    }
                else:
                    self.reply_json(404, {"error": "no such control: %s %s"
                                          % verb})
                    return
            self.reply_json(200, out)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            self.reply_json(400, {"error": "%s: %s" % (type(e).__name__, e)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", action="append", default=[])
    ap.add_argument("--action-delay", type=float, default=0.3)
    ap.add_argument("--ratelimit", type=int, default=5000)
    ap.add_argument("--env-file", metavar="FILE")
    ap.add_argument("--verbose", action="store_true")
    opts = ap.parse_args()

    Handler.fake = Fake(set(opts.token or [DEFAULT_TOKEN]),
                        opts.action_delay, opts.ratelimit)
    Handler.verbose = opts.verbose
    fakehttp.serve(Handler, opts.port, lambda port:
                   "FAKEDO_PORT=%d\nFAKEDO_URL=http://127.0.0.1:%d\n"
                   % (port, port), opts.env_file)


if __name__ == "__main__":
    main()
