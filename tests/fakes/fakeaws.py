#!/usr/bin/env python3
"""fakeaws.py: the project's AWS fault endpoint, a small HTTP server on
loopback in front of moto.

moto (moto_server) answers every AWS operation the daemon uses, for fidelity.
This proxy adds what moto cannot do: it checks the SigV4 signature of every
request as AWS does (moto checks none), and it injects what tests need to see:
throttling, 5xx, latency, unhealthy targets, CloudWatch metric values. It logs
every request so tests can assert what the daemon called, and when.

Start it (use the machine image's python3, which has moto, boto3, botocore):

    python3 tests/fakes/fakeaws.py --spawn-moto --port 0 --env-file $T/aws.env
    # prints FAKEAWS_PORT=<port> and MOTO_URL=<url> once ready, and writes
    # them (plus FAKEAWS_URL) to the env file; stops its moto on exit.

Options:
    --port N            listen on 127.0.0.1:N (0 picks a free port)
    --moto URL          forward to this moto_server
    --spawn-moto        start `moto_server -H 127.0.0.1 -p <free port>` instead
    --moto-log FILE     where a spawned moto writes its log (default: nowhere)
    --cred AKID:SECRET[:TOKEN]   accepted credentials, repeatable; without it
                        the test pair AKIDEXAMPLE /
                        wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY.
                        Credentials that moto hands out through STS (AssumeRole,
                        GetSessionToken) are learned and accepted with their token.
    --env-file FILE     write FAKEAWS_PORT=, FAKEAWS_URL= and MOTO_URL= lines
                        (and MOTO_PID= for a spawned moto, which leads its
                        own process group), for a shell to source
    --verbose           log every request on stderr (signature failures always are)

Signatures. The Authorization header (AWS4-HMAC-SHA256 Credential=AKID/date/
region/service/aws4_request, SignedHeaders=..., Signature=...) is recomputed
with botocore's SigV4 code, canonicalised the way the server side does it
(query string decoded then re-encoded, payload hashed from the body). Failures
are answered in the protocol of the request, as AWS does:
    query and rest-xml (elasticloadbalancing, monitoring, sts, route53):
        403 <ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch
        ... (InvalidClientTokenId for an unknown key, MissingAuthenticationToken
        without Authorization, IncompleteSignature for a malformed header)
    JSON (X-Amz-Target: ECS, and CloudWatch's JSON 1.0 that botocore uses):
        400 {"__type":"InvalidSignatureException","message":...} with
        x-amzn-ErrorType (UnrecognizedClientException for an unknown key);
        a query-compatible request (x-amzn-query-mode: true) also gets
        x-amzn-query-error: <query code>;Sender, as CloudWatch sends.
A signature mismatch's message carries the canonical request and string to
sign the fake expected (as AWS's older query services do), so a signer bug can
be read off the test's log. X-Amz-Date more than 15 minutes away from the
fake's clock is "Signature expired" / "Signature not yet current".

Control API, on the same port under /_fake/, never signed, JSON in and out:
    POST /_fake/faults      {"throttle_rate":0.3, "error_rate":0.1,
                             "lost_reply_rate":0, "garbage_rate":0,
                             "unexpected_rate":0, "latency_ms":200,
                             "operations":["DescribeTargetHealth"],
                             "count":2, "seed":42, "clock_offset_s":0}
        replaces the fault settings (all optional). A matching request (its
        operation in "operations", or any when absent) waits latency_ms, then
        with throttle_rate is throttled (400 Throttling "Rate exceeded" /
        ThrottlingException), with error_rate fails (500 InternalFailure or
        503 ServiceUnavailable; "error_status" forces one), with
        lost_reply_rate is carried out by moto but answered 500 (the effect
        happened, the client cannot know), with garbage_rate is not
        forwarded and answered 200 with a document cut short that cannot be
        parsed (query and rest-xml: <DescribeListenersResponse xmlns=...>
        <Describe; JSON: {"services": [ ), with unexpected_rate is not
        forwarded and answered 200 with a well-formed document of the wrong
        shape (<Unexpected xmlns=...><Nothing/></Unexpected>; JSON:
        {"unexpected": true}); both carry the Content-Type of the protocol,
        and are drawn only when their rate is given, so that older seeded
        sequences are unchanged. "count" stops injecting after that
        many faults. "seed" makes the draws repeatable. "clock_offset_s" moves
        the fake's clock: the expiry check and the Date header of replies.
    GET  /_fake/faults      the settings and how many faults were injected
    POST /_fake/target-health {"target_group_arn":ARN, "targets":[{"id":
            "10.0.0.5","port":80,"state":"unhealthy","reason":
            "Target.FailedHealthChecks","description":"Health checks failed"}],
            "merge":false}
        DescribeTargetHealth for that target group answers these targets
        (ports missing here are taken from moto); with "merge" only the listed
        targets change and moto's others stay. A target asked for by name and
        absent is "unused"/Target.NotRegistered. "targets": null drops the
        override. moto itself calls every registered target healthy.
    POST /_fake/metrics     {"values": {"HTTPCode_Target_5XX_Count":
            {"targetgroup/ecs/0123": [3, 0, null, 1]}, "TargetResponseTime":
            {"targetgroup/ecs/0123": {"p95": [0.2], "p99": [0.4]}}}}
        GetMetricData (query XML or JSON) answers these values: each
        MetricDataQuery's MetricStat is matched on its metric name and its
        TargetGroup dimension value (else LoadBalancer, else the key "*");
        a list may be keyed by the query's Stat. The list is newest first: the
        first value is the period ending at EndTime, the next one period
        earlier, and so on, down to StartTime; null is a missing datapoint.
        ScanBy is honoured. Unmatched queries and math expressions come back
        empty, as CloudWatch answers when no data flowed. With no values
        set, GetMetricData goes to moto. The POST replaces the whole table.
    GET  /_fake/log[?since=SEQ&operation=NAME&service=NAME]
        the requests seen, oldest first: {"seq", "time" (epoch s),
        "time_ms", "service", "operation", "target" (X-Amz-Target), "method",
        "path", "status", "sig_ok", "akid", "fault", "answered_by"}
    POST /_fake/ecs-service {"cluster":"shop", "service":"web",
            "rolloutState":"COMPLETED", "runningCount":2, "pendingCount":0}
        DescribeServices shows these in the service's PRIMARY deployment (the
        counts on the service too); "deployments": [...] replaces the list
        instead (a rolling update: PRIMARY and ACTIVE). moto sets rolloutState
        once, at CreateService (COMPLETED only when moto's environment has
        MOTO_ECS_SERVICE_RUNNING >= desiredCount), and never updates its
        deployments. Only "cluster" and "service": drop the override.
    POST /_fake/creds       {"akid":..., "secret":..., "token":...} adds a pair
    POST /_fake/reset       clears faults, overrides (target health, ECS),
                            metrics and the log (credentials stay);
                            {"moto": true} also resets moto's state
    GET  /_fake/health      {"ok": true, "moto": URL}

Everything else is forwarded to moto unchanged (method, path, query, headers
including Authorization, body) and moto's answer is relayed.
"""

import argparse
import datetime
import hashlib
import hmac
import http.client
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.session
import botocore.utils

import fakehttp

DEFAULT_CREDS = {"AKIDEXAMPLE": ("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)}
SKEW_LIMIT = 15 * 60
AMZ_DATE = "%Y%m%dT%H%M%SZ"

# XML namespaces of the query and rest-xml services' replies, errors included.
XMLNS = {
    "elasticloadbalancing": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
    "rds": "http://rds.amazonaws.com/doc/2014-10-31/",
}
# Services that speak REST rather than query or JSON, by signing name.
REST_SERVICES = {"route53": "route53"}
# X-Amz-Target prefixes, to name the service of an unsigned request.
TARGET_PREFIXES = {
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "GraniteServiceVersion20100801": "monitoring",
    "secretsmanager": "secretsmanager",
}

# Errors by kind: (query status, query code, JSON status, JSON __type, message)
ERRORS = {
    "signature": (403, "SignatureDoesNotMatch", 400, "InvalidSignatureException",
                  "The request signature we calculated does not match the "
                  "signature you provided. Check your AWS Secret Access Key "
                  "and signing method. Consult the service documentation for "
                  "details."),
    "unknown_key": (403, "InvalidClientTokenId", 400, "UnrecognizedClientException",
                    "The security token included in the request is invalid."),
    "missing_auth": (403, "MissingAuthenticationToken", 400,
                     "MissingAuthenticationTokenException",
                     "Request is missing Authentication Token"),
    "incomplete": (400, "IncompleteSignature", 400, "IncompleteSignatureException",
                   "Authorization header is malformed."),
    "throttle": (400, "Throttling", 400, "ThrottlingException", "Rate exceeded"),
    "internal": (500, "InternalFailure", 500, "InternalFailure",
                 "The request processing has failed because of an unknown "
                 "error, exception or failure."),
    "missing_param": (400, "MissingParameter", 400,
                      "MissingRequiredParameterException",
                      "A required parameter is missing."),
    "unavailable": (503, "ServiceUnavailable", 503, "ServiceUnavailableException",
                    "Service is unavailable."),
}


class AuthError(Exception):
    """A request refused before it reaches moto: kind is a key of ERRORS."""

    def __init__(self, kind, message=None):
        super().__init__(message or ERRORS[kind][4])
        self.kind = kind
        self.message = message or ERRORS[kind][4]


# ---------------------------------------------------------------- signatures

class SigV4Check(botocore.auth.SigV4Auth):
    """botocore's SigV4 signer turned round to verify: it signs exactly the
    headers the client listed in SignedHeaders, with their received values,
    canonicalises the query as the server does (decode, then re-encode), and
    always hashes the body it received."""

    def __init__(self, secret, akid, service, region, signed_headers):
        creds = botocore.credentials.Credentials(akid, secret)
        super().__init__(creds, service, region)
        self._signed = signed_headers

    def headers_to_sign(self, request):
        return self._signed

    def canonical_query_string(self, request):
        query = urllib.parse.urlsplit(request.url).query
        pairs = []
        for pair in query.split("&"):
            if pair:
                key, _, value = pair.partition("=")
                pairs.append((urllib.parse.unquote(key),
                              urllib.parse.unquote(value)))
        return self._canonical_query_string_params(pairs)


def parse_authorization(value):
    """Split an AWS4-HMAC-SHA256 Authorization header into its parts."""
    algo, _, rest = value.strip().partition(" ")
    if algo != "AWS4-HMAC-SHA256":
        raise AuthError("incomplete", "Unsupported Authorization Type")
    fields = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            fields[key.strip()] = val.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature")
               if k not in fields]
    if missing:
        raise AuthError("incomplete", " ".join(
            "Authorization header requires '%s' parameter." % k for k in missing)
            + " Authorization=" + value)
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise AuthError("incomplete", "Credential should be scoped correctly: "
                        "AKID/YYYYMMDD/region/service/aws4_request, got '%s'."
                        % fields["Credential"])
    return {"akid": scope[0], "date": scope[1], "region": scope[2],
            "service": scope[3],
            "signed": [h for h in fields["SignedHeaders"].split(";") if h],
            "signature": fields["Signature"]}


# ----------------------------------------------------------------- the state

class Fake:
    """Everything tests can change, behind one lock: credentials, faults,
    target health overrides, metric values, the request log."""

    def __init__(self, moto_url, creds):
        self.moto_url = moto_url.rstrip("/")
        self.lock = threading.Lock()
        self.creds = dict(creds)
        self.seq = 0        # not reset: "since" stays valid across resets
        self.reset()

    def reset(self):
        with self.lock:
            self.faults = {}
            self.injected = 0
            self.rng = random.Random()
            self.health = {}
            self.ecs = {}
            self.metrics = {}
            self.log = []

    def now(self):
        return time.time() + float(self.faults.get("clock_offset_s", 0))

    def set_faults(self, spec):
        for key in ("throttle_rate", "error_rate", "lost_reply_rate",
                    "garbage_rate", "unexpected_rate"):
            rate = float(spec.get(key, 0))
            if not 0 <= rate <= 1:
                raise ValueError("%s must be within 0..1" % key)
        if spec.get("error_status") not in (None, 500, 503):
            raise ValueError("error_status must be 500 or 503")
        if "operations" in spec and not isinstance(spec["operations"], list):
            raise ValueError("operations must be a list of operation names")
        with self.lock:
            self.faults = dict(spec)
            self.injected = 0
            self.rng = random.Random(spec.get("seed"))

    def draw(self, operation):
        """Decide what happens to a request: (latency in s, fault or None)."""
        with self.lock:
            f = self.faults
            ops = f.get("operations")
            if not f or (ops is not None and operation not in ops):
                return 0, None
            latency = float(f.get("latency_ms", 0)) / 1000
            if "count" in f and self.injected >= int(f["count"]):
                return latency, None
            fault = None
            if self.rng.random() < float(f.get("throttle_rate", 0)):
                fault = "throttle"
            elif self.rng.random() < float(f.get("error_rate", 0)):
                status = f.get("error_status") or self.rng.choice((500, 503))
                fault = "internal" if status == 500 else "unavailable"
            elif self.rng.random() < float(f.get("lost_reply_rate", 0)):
                fault = "lost_reply"
            # Drawn only when asked for, so that the seeded sequences of
            # the faults above stay what they were before these existed.
            elif ("garbage_rate" in f and
                  self.rng.random() < float(f["garbage_rate"])):
                fault = "garbage"
            elif ("unexpected_rate" in f and
                  self.rng.random() < float(f["unexpected_rate"])):
                fault = "unexpected"
            if fault:
                self.injected += 1
            return latency, fault

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)


# ------------------------------------------------------------ wire formats

def unflatten(params):
    """Query-protocol parameters (A.member.1.B=x) as nested dicts and lists."""
    root = {}
    for key, value in params.items():
        node = root
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = value

    def lists(node):
        if not isinstance(node, dict):
            return node
        if set(node) == {"member"} and isinstance(node["member"], dict):
            items = sorted(node["member"].items(),
                           key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)
            return [lists(v) for _, v in items]
        return {k: lists(v) for k, v in node.items()}

    return lists(root)


def form_params(body, query):
    """The query protocol's parameters: from the form body, else the URL."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    try:
        pairs += urllib.parse.parse_qsl(body.decode("utf-8"),
                                        keep_blank_values=True)
    except UnicodeDecodeError:
        pass
    return dict(pairs)


_rest_ops = {}


def rest_operation(service, method, path):
    """Name a REST request's operation from botocore's model of the service
    (its HTTP method and request URI templates)."""
    model_name = REST_SERVICES.get(service)
    if not model_name:
        return None
    if model_name not in _rest_ops:
        model = botocore.session.get_session().get_service_model(model_name)
        table = []
        for name in model.operation_names:
            http = model.operation_model(name).http
            uri = http["requestUri"].split("?")[0].rstrip("/")
            pattern = re.sub(r"\\{[^}]+\\\+\\}", ".+", re.escape(uri))
            pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", pattern)
            literal = len(re.sub(r"\{[^}]+\}", "", uri))
            table.append((literal, http["method"], re.compile(pattern + "$"),
                          name))
        table.sort(key=lambda t: -t[0])
        _rest_ops[model_name] = table
    path = path.rstrip("/")
    for _, verb, pattern, name in _rest_ops[model_name]:
        if verb == method and pattern.match(path):
            return name
    return None


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


def xml_text(value):
    return escape(str(value))


# ------------------------------------------------------------- the handler

class Handler(fakehttp.Handler):
    server_version = "fakeaws"

    def clock(self):
        return self.fake.now()

    def raw_target(self):
        """The request target as sent: http.server decodes it as Latin-1,
        a client sends UTF-8 (the signature covers those bytes)."""
        try:
            return self.path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return self.path

    def dispatch(self, body):
        path, _, query = self.path.partition("?")
        if path.startswith("/_fake/"):
            self.control(path, query, body)
            return
        try:
            self.aws(path, query, body)
        except Exception:
            # A bug here must not look like a dead endpoint: say so, answer.
            traceback.print_exc()
            self.reply(500, [("Content-Type", "text/plain")],
                       b"fakeaws: internal error, see its stderr\n")

    # -- AWS requests

    def protocol(self, service):
        if self.headers.get("X-Amz-Target"):
            return "json"
        if service in REST_SERVICES:
            return "rest-xml"
        return "query"

    def guess_service(self, path):
        target = self.headers.get("X-Amz-Target", "")
        prefix = target.split(".")[0]
        if prefix in TARGET_PREFIXES:
            return TARGET_PREFIXES[prefix]
        if path.startswith("/2013-04-01/"):
            return "route53"
        return "unknown"

    def operation(self, proto, service, path, query, body):
        if proto == "json":
            return self.headers.get("X-Amz-Target", "").split(".")[-1]
        if proto == "rest-xml":
            return rest_operation(service, self.command, path)
        return form_params(body, query).get("Action")

    def error(self, proto, service, kind, message=None):
        """An AWS error in the request's protocol: (status, headers, body)."""
        qstatus, qcode, jstatus, jtype, default = ERRORS[kind]
        message = message or default
        rid = str(uuid.uuid4())
        if proto == "json":
            ctype = self.headers.get("Content-Type") or "application/x-amz-json-1.1"
            headers = [("Content-Type", ctype), ("x-amzn-RequestId", rid),
                       ("x-amzn-ErrorType", "%s:http://internal.amazon.com/"
                        "coral/com.amazon.coral.service/" % jtype)]
            if self.headers.get("x-amzn-query-mode", "").lower() == "true":
                headers.append(("x-amzn-query-error", "%s;%s" % (
                    qcode, "Sender" if qstatus < 500 else "Receiver")))
            body = json.dumps({"__type": jtype, "message": message})
            return jstatus, headers, body.encode()
        xmlns = XMLNS.get(service)
        body = ('<ErrorResponse%s><Error><Type>%s</Type><Code>%s</Code>'
                '<Message>%s</Message></Error><RequestId>%s</RequestId>'
                '</ErrorResponse>' % (
                    ' xmlns="%s"' % xmlns if xmlns else "",
                    "Sender" if qstatus < 500 else "Receiver", qcode,
                    xml_text(message), rid))
        return qstatus, [("Content-Type", "text/xml"),
                         ("x-amzn-RequestId", rid)], body.encode()

    def bad_answer(self, proto, service, op, fault):
        """A 200 the client cannot use, in the request's protocol: "garbage"
        does not parse (cut off mid-document), "unexpected" parses but is
        not the operation's answer. (status, headers, body)."""
        rid = str(uuid.uuid4())
        op = op or "Unknown"
        if proto == "json":
            ctype = self.headers.get("Content-Type") or "application/x-amz-json-1.1"
            if fault == "garbage":
                # The operation's first member, as the answer would start:
                # DescribeServices -> {"services": [
                noun = re.sub(r"^(Describe|List|Get)", "", op) or op
                body = '{"%s": [' % (noun[:1].lower() + noun[1:])
            else:
                body = '{"unexpected": true}'
            return 200, [("Content-Type", ctype),
                         ("x-amzn-RequestId", rid)], body.encode()
        xmlns = XMLNS.get(service)
        if fault == "garbage":
            body = "<%sResponse%s><%s" % (
                op, ' xmlns="%s"' % xmlns if xmlns else "", op[:len(op) // 2])
        else:
            body = "<Unexpected%s><Nothing/></Unexpected>" % (
                ' xmlns="%s"' % xmlns if xmlns else "")
        return 200, [("Content-Type", "text/xml"),
                     ("x-amzn-RequestId", rid)], body.encode()

    def check_signature(self, path, query, body):
        """Verify SigV4 as AWS does; return the parsed Authorization or raise
        AuthError."""
        header = self.headers.get("Authorization")
        if not header:
            raise AuthError("missing_auth")
        auth = parse_authorization(header)
        with self.fake.lock:
            cred = self.fake.creds.get(auth["akid"])
        if cred is None:
            raise AuthError("unknown_key")
        secret, token = cred
        if token is not None and self.headers.get("X-Amz-Security-Token") != token:
            raise AuthError("unknown_key")
        amz_date = self.headers.get("X-Amz-Date")
        if not amz_date:
            raise AuthError("incomplete", "Authorization header requires "
                            "existence of either a 'X-Amz-Date' or a 'Date' "
                            "header. Authorization=" + header)
        try:
            signed_at = datetime.datetime.strptime(amz_date, AMZ_DATE).replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            raise AuthError("incomplete", "Invalid X-Amz-Date: " + amz_date)
        now = self.fake.now()
        stamp = lambda t: datetime.datetime.fromtimestamp(
            t, datetime.timezone.utc).strftime(AMZ_DATE)
        if signed_at < now - SKEW_LIMIT:
            raise AuthError("signature", "Signature expired: %s is now earlier "
                            "than %s (%s - 15 min.)" % (
                                amz_date, stamp(now - SKEW_LIMIT), stamp(now)))
        if signed_at > now + SKEW_LIMIT:
            raise AuthError("signature", "Signature not yet current: %s is "
                            "still later than %s (%s + 15 min.)" % (
                                amz_date, stamp(now + SKEW_LIMIT), stamp(now)))
        if auth["date"] != amz_date[:8]:
            raise AuthError("signature", "Date in Credential scope does not "
                            "match YYYYMMDD from ISO-8601 version of date from "
                            "HTTP: '%s' != '%s', from '%s'." % (
                                auth["date"], amz_date[:8], amz_date))
        if "host" not in auth["signed"]:
            raise AuthError("signature", "'Host' or ':authority' must be a "
                            "'SignedHeader' in the AWS Authorization.")
        payload_hash = hashlib.sha256(body).hexdigest()
        claimed = self.headers.get("X-Amz-Content-SHA256")
        if claimed and claimed != payload_hash:
            raise AuthError("signature", "The provided 'x-amz-content-sha256' "
                            "header does not match what was computed.")

        signed = botocore.awsrequest.HTTPHeaders()
        for name in auth["signed"]:
            values = self.headers.get_all(name) or [""]
            for value in values:
                # A folded (obs-fold) value: its lines count as values, as
                # in AWS's test suite (get-header-value-multiline).
                signed[name] = ",".join(line.strip()
                                        for line in value.splitlines())
        request = botocore.awsrequest.AWSRequest(
            method=self.command, url="http://fakeaws" + self.raw_target(),
            data=body)
        request.context["timestamp"] = amz_date
        checker = SigV4Check(secret, auth["akid"], auth["service"],
                             auth["region"], signed)
        canonical = checker.canonical_request(request)
        to_sign = checker.string_to_sign(request, canonical)
        expected = checker.signature(to_sign, request)
        if not hmac.compare_digest(expected, auth["signature"]):
            sys.stderr.write("fakeaws: signature mismatch for %s %s (%s)\n"
                             "--- canonical request ---\n%s\n"
                             "--- string to sign ---\n%s\n" % (
                                 self.command, self.path, auth["akid"],
                                 canonical, to_sign))
            raise AuthError("signature", ERRORS["signature"][4] + "\n\nThe "
                            "Canonical String for this request should have "
                            "been\n'%s'\n\nThe String-to-Sign should have "
                            "been\n'%s'\n" % (canonical, to_sign))
        return auth

    def aws(self, path, query, body):
        t0 = time.time()
        entry = {"time": t0, "time_ms": int(t0 * 1000), "method": self.command,
                 "path": self.path, "target": self.headers.get("X-Amz-Target"),
                 "sig_ok": False, "akid": None, "fault": None,
                 "answered_by": "fakeaws"}
        service = self.guess_service(path)
        try:
            auth = parse_authorization(self.headers.get("Authorization", ""))
            service = auth["service"]
            entry["akid"] = auth["akid"]
        except AuthError:
            pass
        proto = self.protocol(service)
        op = self.operation(proto, service, path, query, body)
        entry.update(service=service, operation=op)
        try:
            self.check_signature(path, query, body)
            entry["sig_ok"] = True
        except AuthError as e:
            self.finish_aws(entry, *self.error(proto, service, e.kind, e.message))
            return

        latency, fault = self.fake.draw(op)
        if latency:
            time.sleep(latency)
        entry["fault"] = fault
        if fault in ("throttle", "internal", "unavailable"):
            self.finish_aws(entry, *self.error(proto, service, fault))
            return
        if fault in ("garbage", "unexpected"):
            self.finish_aws(entry, *self.bad_answer(proto, service, op, fault))
            return

        answer = None
        if op == "GetMetricData" and service == "monitoring":
            answer = self.metric_data(proto, query, body)
        if answer is None:
            try:
                answer = self.forward(body)
            except OSError as e:
                sys.stderr.write("fakeaws: moto unreachable: %s\n" % e)
                self.finish_aws(entry, *self.error(proto, service, "unavailable"))
                return
            entry["answered_by"] = "moto"
            answer = self.after_moto(op, service, query, body, *answer)
        if fault == "lost_reply":
            answer = self.error(proto, service, "internal")
        self.finish_aws(entry, *answer)

    def finish_aws(self, entry, status, headers, body):
        entry["status"] = status
        self.fake.record(entry)
        if self.verbose or not entry["sig_ok"]:
            sys.stderr.write("fakeaws: %s %s %s -> %d%s\n" % (
                entry["service"], entry["operation"], entry["akid"], status,
                " (%s)" % entry["fault"] if entry["fault"] else ""))
        self.reply(status, headers, body)

    def forward(self, body):
        """Send the request to moto as received; (status, headers, body)."""
        url = urllib.parse.urlsplit(self.fake.moto_url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            # http.client sends ASCII only: escape what is not.
            target = urllib.parse.quote(self.path.encode("latin-1"),
                                        safe=bytes(range(33, 127)))
            conn.putrequest(self.command, target, skip_host=True,
                            skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in fakehttp.HOP_BY_HOP:
                    conn.putheader(name, value)
            if body or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def after_moto(self, op, service, query, body, status, headers, rbody):
        """Rewrite moto's answer where the tests asked for something else."""
        if status != 200:
            return status, headers, rbody
        if op == "DescribeTargetHealth" and service == "elasticloadbalancing":
            params = unflatten(form_params(body, query))
            arn = params.get("TargetGroupArn")
            with self.fake.lock:
                override = self.fake.health.get(arn)
            if override is not None:
                rbody = self.target_health(override, params, rbody)
        elif op == "DescribeServices" and service == "ecs":
            rbody = self.ecs_services(rbody)
        elif service == "sts":
            self.learn_credentials(rbody)
        return status, headers, rbody

    # -- target health

    def target_health(self, override, params, moto_body):
        ns = {"e": XMLNS["elasticloadbalancing"]}
        seen = []
        for m in ET.fromstring(moto_body).iterfind(
                ".//e:TargetHealthDescriptions/e:member", ns):
            seen.append({
                "id": m.findtext("e:Target/e:Id", None, ns),
                "port": m.findtext("e:Target/e:Port", None, ns),
                "az": m.findtext("e:Target/e:AvailabilityZone", None, ns),
                "state": m.findtext("e:TargetHealth/e:State", None, ns),
                "reason": m.findtext("e:TargetHealth/e:Reason", None, ns),
                "description": m.findtext("e:TargetHealth/e:Description", None, ns),
            })

        def same(a, b):
            return a["id"] == b["id"] and (a.get("port") is None or
                                           b.get("port") is None or
                                           str(a["port"]) == str(b["port"]))

        mine = [dict(t) for t in override["targets"]]
        for t in mine:
            match = next((s for s in seen if same(s, t)), None)
            if t.get("port") is None and match:
                t["port"] = match["port"]
        if override.get("merge"):
            result = [next((t for t in mine if same(t, s)), s) for s in seen]
            result += [t for t in mine if not any(same(t, s) for s in seen)]
        else:
            result = mine
        wanted = params.get("Targets")
        if isinstance(wanted, list) and wanted:
            chosen = []
            for w in wanted:
                w = {"id": w.get("Id"), "port": w.get("Port"),
                     "az": w.get("AvailabilityZone")}
                found = next((t for t in result if same(t, w)), None)
                chosen.append(found or dict(
                    w, state="unused", reason="Target.NotRegistered",
                    description="Target is not registered to the target group"))
            result = chosen

        members = []
        for t in result:
            port = t.get("port")
            target = "<Id>%s</Id>" % xml_text(t["id"])
            if port is not None:
                target += "<Port>%s</Port>" % xml_text(port)
            if t.get("az"):
                target += "<AvailabilityZone>%s</AvailabilityZone>" % xml_text(t["az"])
            health = "<State>%s</State>" % xml_text(t.get("state", "healthy"))
            if t.get("reason"):
                health += "<Reason>%s</Reason>" % xml_text(t["reason"])
            if t.get("description"):
                health += "<Description>%s</Description>" % xml_text(t["description"])
            hc_port = t.get("health_check_port", port)
            members.append("<member><Target>%s</Target>%s<TargetHealth>%s"
                           "</TargetHealth></member>" % (
                               target, "<HealthCheckPort>%s</HealthCheckPort>"
                               % xml_text(hc_port) if hc_port is not None else "",
                               health))
        return ('<DescribeTargetHealthResponse xmlns="%s">'
                '<DescribeTargetHealthResult><TargetHealthDescriptions>%s'
                '</TargetHealthDescriptions></DescribeTargetHealthResult>'
                '<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>'
                '</DescribeTargetHealthResponse>' % (
                    XMLNS["elasticloadbalancing"], "".join(members),
                    uuid.uuid4())).encode()

    # -- ECS

    def ecs_services(self, moto_body):
        with self.fake.lock:
            table = dict(self.fake.ecs)
        if not table:
            return moto_body
        answer = json.loads(moto_body)
        for svc in answer.get("services", []):
            key = "%s/%s" % (svc.get("clusterArn", "").split("/")[-1],
                             svc.get("serviceName"))
            override = table.get(key)
            if override is None:
                continue
            if "deployments" in override:
                svc["deployments"] = override["deployments"]
                continue
            for field in ("runningCount", "pendingCount"):
                if field in override:
                    svc[field] = override[field]
            for dep in svc.get("deployments", []):
                if dep.get("status") == "PRIMARY":
                    dep.update(override)
        return json.dumps(answer).encode()

    # -- CloudWatch

    def metric_data(self, proto, query, body):
        """Answer GetMetricData from the injected values, or None for moto."""
        with self.fake.lock:
            table = self.fake.metrics
        if not table:
            return None
        if proto == "json":
            params = json.loads(body or b"{}")
        else:
            params = unflatten(form_params(body, query))
        for name in ("StartTime", "EndTime", "MetricDataQueries"):
            if not params.get(name):
                return self.error(proto, "monitoring", "missing_param",
                                  "The parameter %s is required." % name)
        start = botocore.utils.parse_timestamp(params["StartTime"]).timestamp()
        end = botocore.utils.parse_timestamp(params["EndTime"]).timestamp()
        ascending = params.get("ScanBy") == "TimestampAscending"
        results = []
        for q in params.get("MetricDataQueries") or []:
            if str(q.get("ReturnData", "true")).lower() == "false":
                continue
            stat = q.get("MetricStat") or {}
            metric = stat.get("Metric") or {}
            name = metric.get("MetricName")
            dims = {d.get("Name"): d.get("Value")
                    for d in metric.get("Dimensions") or []}
            period = int(stat.get("Period") or q.get("Period") or 60)
            by_dim = table.get(name) or {}
            series = None
            for key in (dims.get("TargetGroup"), dims.get("LoadBalancer"), "*"):
                if key is not None and key in by_dim:
                    series = by_dim[key]
                    break
            if isinstance(series, dict):
                series = series.get(stat.get("Stat"), series.get("*"))
            stamps, values = [], []
            newest = math.ceil(end / period) * period - period
            for i, v in enumerate(series or []):
                ts = newest - i * period
                if ts < start:
                    break
                if v is not None:
                    stamps.append(ts)
                    values.append(float(v))
            if ascending:
                stamps.reverse()
                values.reverse()
            results.append({"Id": q.get("Id"), "Label": q.get("Label") or name or q.get("Id"),
                            "Timestamps": stamps, "Values": values,
                            "StatusCode": "Complete"})
        rid = str(uuid.uuid4())
        if proto == "json":
            out = json.dumps({"MetricDataResults": results, "Messages": []})
            return 200, [("Content-Type", self.headers.get("Content-Type")
                          or "application/x-amz-json-1.0"),
                         ("x-amzn-RequestId", rid)], out.encode()
        members = []
        for r in results:
            members.append(
                "<member><Id>%s</Id><Label>%s</Label><StatusCode>Complete"
                "</StatusCode><Timestamps>%s</Timestamps><Values>%s</Values>"
                "</member>" % (
                    xml_text(r["Id"]), xml_text(r["Label"]),
                    "".join("<member>%s</member>" % iso(t) for t in r["Timestamps"]),
                    "".join("<member>%r</member>" % v for v in r["Values"])))
        out = ('<GetMetricDataResponse xmlns="%s"><GetMetricDataResult>'
               '<MetricDataResults>%s</MetricDataResults><Messages/>'
               '</GetMetricDataResult><ResponseMetadata><RequestId>%s'
               '</RequestId></ResponseMetadata></GetMetricDataResponse>' % (
                   XMLNS["monitoring"], "".join(members), rid))
        return 200, [("Content-Type", "text/xml"),
                     ("x-amzn-RequestId", rid)], out.encode()

    # -- STS

    def learn_credentials(self, body):
        """Accept the temporary credentials moto's STS just handed out."""
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return
        for creds in root.iter():
            if not creds.tag.endswith("Credentials"):
                continue
            fields = {c.tag.split("}")[-1]: c.text for c in creds}
            if fields.get("AccessKeyId") and fields.get("SecretAccessKey"):
                with self.fake.lock:
                    self.fake.creds[fields["AccessKeyId"]] = (
                        fields["SecretAccessKey"], fields.get("SessionToken"))

    # -- control API

    def control(self, path, query, body):
        fake = self.fake
        try:
            arg = json.loads(body) if body.strip() else {}
            if not isinstance(arg, dict):
                raise ValueError("expected a JSON object")
            verb = (self.command, path.rstrip("/"))
            if verb == ("GET", "/_fake/health"):
                self.reply_json(200, {"ok": True, "moto": fake.moto_url})
            elif verb == ("GET", "/_fake/faults"):
                with fake.lock:
                    self.reply_json(200, {"faults": fake.faults,
                                          "injected": fake.injected})
            elif verb == ("POST", "/_fake/faults"):
                fake.set_faults(arg)
                self.reply_json(200, {"faults": fake.faults})
            elif verb == ("GET", "/_fake/target-health"):
                with fake.lock:
                    self.reply_json(200, fake.health)
            elif verb == ("POST", "/_fake/target-health"):
                arn = arg["target_group_arn"]
                targets = arg.get("targets")
                with fake.lock:
                    if targets is None:
                        fake.health.pop(arn, None)
                    else:
                        for t in targets:
                            if "id" not in t:
                                raise ValueError("each target needs an id")
                        fake.health[arn] = {"targets": targets,
                                            "merge": bool(arg.get("merge"))}
                self.reply_json(200, {"ok": True})
            elif verb == ("GET", "/_fake/metrics"):
                with fake.lock:
                    self.reply_json(200, {"values": fake.metrics})
            elif verb == ("POST", "/_fake/metrics"):
                values = arg.get("values", {})
                if not isinstance(values, dict):
                    raise ValueError("values must be an object")
                with fake.lock:
                    fake.metrics = values
                self.reply_json(200, {"ok": True})
            elif verb == ("GET", "/_fake/log"):
                q = dict(urllib.parse.parse_qsl(query))
                since = int(q.get("since", 0))
                with fake.lock:
                    log = [e for e in fake.log if e["seq"] > since
                           and q.get("operation", e["operation"]) == e["operation"]
                           and q.get("service", e["service"]) == e["service"]]
                self.reply_json(200, log)
            elif verb == ("GET", "/_fake/ecs-service"):
                with fake.lock:
                    self.reply_json(200, fake.ecs)
            elif verb == ("POST", "/_fake/ecs-service"):
                key = "%s/%s" % (arg.pop("cluster", "default"),
                                 arg.pop("service"))
                with fake.lock:
                    if arg:
                        fake.ecs[key] = arg
                    else:
                        fake.ecs.pop(key, None)
                self.reply_json(200, {"ok": True})
            elif verb == ("POST", "/_fake/creds"):
                with fake.lock:
                    fake.creds[arg["akid"]] = (arg["secret"], arg.get("token"))
                self.reply_json(200, {"ok": True})
            elif verb == ("POST", "/_fake/reset"):
                fake.reset()
                if arg.get("moto"):
                    url = urllib.parse.urlsplit(fake.moto_url)
                    conn = http.client.HTTPConnection(url.hostname, url.port,
                                                      timeout=30)
                    conn.request("POST", "/moto-api/reset")
                    conn.getresponse().read()
                    conn.close()
                self.reply_json(200, {"ok": True})
            else:
                self.reply_json(404, {"error": "no such control: %s %s" % verb})
        except (ValueError, KeyError, TypeError) as e:
            self.reply_json(400, {"error": "%s: %s" % (type(e).__name__, e)})


# ------------------------------------------------------------------- main

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn_moto(log_path):
    """Start moto_server on a free loopback port; (process, url)."""
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    for _ in range(3):
        port = free_port()
        proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p",
                                 str(port)], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline and proc.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/moto-api/")
                conn.getresponse().read()
                conn.close()
                return proc, "http://127.0.0.1:%d" % port
            except OSError:
                time.sleep(0.1)
        stop_moto(proc)
    sys.exit("fakeaws: moto_server did not start")


def stop_moto(proc):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def parse_cred(text):
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise argparse.ArgumentTypeError("want AKID:SECRET[:TOKEN]")
    return parts[0], (parts[1], parts[2] if len(parts) > 2 else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--moto", metavar="URL")
    src.add_argument("--spawn-moto", action="store_true")
    ap.add_argument("--moto-log", metavar="FILE")
    ap.add_argument("--cred", action="append", type=parse_cred, default=[])
    ap.add_argument("--env-file", metavar="FILE")
    ap.add_argument("--verbose", action="store_true")
    opts = ap.parse_args()

    moto_proc = None
    if opts.spawn_moto:
        moto_proc, moto_url = spawn_moto(opts.moto_log)
    else:
        moto_url = opts.moto
    try:
        Handler.fake = Fake(moto_url, dict(opts.cred) or DEFAULT_CREDS)
        Handler.verbose = opts.verbose

        def env_lines(port):
            lines = "FAKEAWS_PORT=%d\nFAKEAWS_URL=http://127.0.0.1:%d\n" \
                    "MOTO_URL=%s\n" % (port, port, moto_url)
            if moto_proc:
                lines += "MOTO_PID=%d\n" % moto_proc.pid
            return lines
        fakehttp.serve(Handler, opts.port, env_lines, opts.env_file)
    finally:
        stop_moto(moto_proc)


if __name__ == "__main__":
    main()
