CREATE TABLE "twin_tenant_limits" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"requests_per_minute" integer,
	"tokens_per_minute" integer,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "twin_webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"alert_id" text NOT NULL,
	"tenant_id" text,
	"kind" text NOT NULL,
	"url" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status" integer,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "twin_api_keys" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "twin_api_keys" ADD COLUMN "allowed_models" jsonb;--> statement-breakpoint
ALTER TABLE "twin_api_keys" ADD COLUMN "allowed_providers" jsonb;--> statement-breakpoint
ALTER TABLE "twin_api_keys" ADD COLUMN "requests_per_minute" integer;--> statement-breakpoint
ALTER TABLE "twin_api_keys" ADD COLUMN "tokens_per_minute" integer;--> statement-breakpoint
ALTER TABLE "twin_api_keys" ADD COLUMN "rotated_from" text;--> statement-breakpoint
CREATE UNIQUE INDEX "twin_webhook_deliveries_alert_url_uq" ON "twin_webhook_deliveries" USING btree ("alert_id","url");--> statement-breakpoint
CREATE INDEX "twin_webhook_deliveries_created_idx" ON "twin_webhook_deliveries" USING btree ("created_at");