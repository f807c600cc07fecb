/*
 * facts: the names of the facts the phases record in the store (see
 * store_fact_set()). A fact is a phase's memory across a restart; several
 * phases and the status view read each other's, so their names live here,
 * one list, instead of in the header of the phase that writes them.
 */
#ifndef FACTS_H
#define FACTS_H

/* seeding: the source coordinates the import is consistent with. */
#define SEED_FACT_FILE		"seed.file"
#define SEED_FACT_POS		"seed.pos"
#define SEED_FACT_GTID		"seed.gtid"

/* shifting and soak. */
#define SHIFT_FACT_STEP		"shift.step"		/* "k:since_ms" */
#define SHIFT_FACT_RETRY_AT	"shift.retry_at"	/* unix ms */
#define SHIFT_FACT_BREACHES	"shift.breaches"	/* "k:count" */
/* A step being stopped: "breach:why" or "fail:why", until it is. */
#define SHIFT_FACT_BACK		"shift.back"
#define SOAK_FACT_SINCE		"soak.since"
#define SOAK_FACT_PASSED	"soak.passed"

/* The listener as last set (daemon/traffic.c). */
#define TRAFFIC_FACT_SET	"traffic.set"
#define TRAFFIC_FACT_SETTING	"traffic.setting"
#define TRAFFIC_FACT_RULE	"traffic.rule_arn"
/* The operator's forward stickiness before traffic.stickiness changed it:
 * "enabled:seconds" ("0:0": off), restored when the shift ends. */
#define TRAFFIC_FACT_STICKY	"traffic.sticky_orig"

/* cutover. */
#define CUT_FACT_ATTEMPT	"cutover.attempt"	/* freeze began (unix us) */
#define CUT_FACT_FINAL		"cutover.final"		/* file:pos frozen at */
#define CUT_FACT_REVERSE	"cutover.reverse"	/* target file:pos */
#define CUT_FACT_SWITCHING	"cutover.switching"	/* switch began */
#define CUT_FACT_SWITCHED	"cutover.switched"	/* writer switched (us) */
#define CUT_FACT_FREEZE_MS	"cutover.freeze_ms"	/* freeze -> switched */
#define CUT_FACT_GAP_MS		"cutover.write_gap_ms"	/* freeze -> 1st write */

/* The checksum proof: "ok", "mismatch" or "error", and a sentence. */
#define PROOF_FACT_VERDICT	"proof.verdict"
#define PROOF_FACT_DETAIL	"proof.detail"
/* The checksum proof's proven ranges (proof_state()), kept across a
 * restart: the re-proof does not compare them again. */
#define PROOF_FACT_RESUME	"proof.resume"
/* A re-proof holds reverse replication paused while it finds its point. */
#define REPROOF_FACT_PAUSED	"reproof.paused"
/* verify holds the target's replication paused while it finds its point;
 * its last verdict ("ok", "mismatch", "error", "unsupported") and sentence. */
#define VERIFY_FACT_PAUSED	"verify.paused"
#define VERIFY_FACT_VERDICT	"verify.verdict"
#define VERIFY_FACT_DETAIL	"verify.detail"

/* [files]: the last run (unix ms, "1"/"0", its journal line), and when
 * the final sync and its verify passed (unix ms). */
#define FILES_FACT_LAST		"files.last"
#define FILES_FACT_OK		"files.last_ok"
#define FILES_FACT_TEXT		"files.last_text"
#define FILES_FACT_FINAL	"files.final"

/* decommission. */
#define DECOM_FACT_FLEET	"decom.fleet"
#define DECOM_FACT_DELETE_AT	"decom.delete_at"	/* unix ms */
#define DECOM_FACT_DRAINED	"decom.drained"
#define DECOM_FACT_TG_DELETED	"decom.tg_deleted"
/* Per droplet and per resource: the prefix, then the id or kind.name. */
#define DECOM_FACT_DROPLET	"decom.d."
#define DECOM_FACT_RESOURCE	"decom.r."

#endif /* FACTS_H */
