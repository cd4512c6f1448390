CREATE TABLE "billing_profiles" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"profile" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"number" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"tenant_id" text NOT NULL,
	"period_from" timestamp with time zone NOT NULL,
	"period_to" timestamp with time zone NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"currency" text NOT NULL,
	"total" numeric NOT NULL,
	"amount_due" numeric NOT NULL,
	"refers_to" text,
	"document" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "stream_billing_records" ADD COLUMN "unpriced" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "invoices_tenant_idx" ON "invoices" USING btree ("tenant_id","period_from");--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_credit_note_uq" ON "invoices" USING btree ("refers_to") WHERE "invoices"."kind" = 'credit_note';