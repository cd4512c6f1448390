CREATE TABLE "twin_instance_leases" (
	"instance_id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"heartbeat_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"claimed_by" text,
	"claimed_at" timestamp with time zone,
	"claim_expires_at" timestamp with time zone,
	"reconciled_at" timestamp with time zone,
	"reconciled_records" integer
);
--> statement-breakpoint
CREATE INDEX "twin_instance_leases_expiry_idx" ON "twin_instance_leases" USING btree ("expires_at");