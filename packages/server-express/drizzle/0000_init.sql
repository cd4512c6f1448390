CREATE TABLE "twin_api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"role" text DEFAULT 'member' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "stream_alerts" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"message" text NOT NULL,
	"data" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "stream_billing_configs" (
	"id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"effective_from" timestamp with time zone NOT NULL,
	"config" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stream_billing_records" (
	"id" text PRIMARY KEY NOT NULL,
	"stream_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"tenant_id" text NOT NULL,
	"api_key_id" text,
	"user_id" text,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"purpose" text,
	"instance_id" text DEFAULT 'default' NOT NULL,
	"state" text NOT NULL,
	"end_reason" text,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"input_tokens" integer,
	"cache_read_tokens" integer,
	"cache_write_tokens" integer,
	"output_tokens" integer,
	"reasoning_tokens" integer,
	"usage_estimated" boolean DEFAULT false NOT NULL,
	"usage_missing" boolean DEFAULT false NOT NULL,
	"duration_ms" integer DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"currency" text NOT NULL,
	"exchange_rate" jsonb,
	"pricing_config_id" text,
	"token_cost" numeric,
	"discount" numeric,
	"streaming" numeric,
	"bandwidth_premium" numeric,
	"infrastructure" numeric,
	"subtotal" numeric,
	"sla_penalty" numeric,
	"tax_total" numeric,
	"total" numeric,
	"lines" jsonb
);
--> statement-breakpoint
CREATE TABLE "stream_budgets" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"period" text NOT NULL,
	"limit_amount" numeric NOT NULL,
	"currency" text NOT NULL,
	"config" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stream_buffers" (
	"stream_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"state" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stream_chunks" (
	"stream_id" text NOT NULL,
	"seq" integer NOT NULL,
	"tenant_id" text NOT NULL,
	"event" text NOT NULL,
	"data" text NOT NULL,
	"bytes" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "stream_chunks_stream_id_seq_pk" PRIMARY KEY("stream_id","seq")
);
--> statement-breakpoint
CREATE TABLE "stream_connections" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"api_key_id" text,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"purpose" text,
	"status" text NOT NULL,
	"end_reason" text,
	"error_code" text,
	"created_at" timestamp with time zone NOT NULL,
	"first_byte_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"last_seq" integer DEFAULT 0 NOT NULL,
	"metadata" jsonb
);
--> statement-breakpoint
CREATE TABLE "stream_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"stream_id" text,
	"tenant_id" text,
	"type" text NOT NULL,
	"data" jsonb,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stream_metrics" (
	"stream_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"ttft_ms" integer,
	"duration_ms" integer NOT NULL,
	"bytes_sent" bigint NOT NULL,
	"events_sent" integer NOT NULL,
	"metrics" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stream_usage_reports" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"period_from" timestamp with time zone NOT NULL,
	"period_to" timestamp with time zone NOT NULL,
	"group_by" text NOT NULL,
	"report" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "twin_api_keys_hash_uq" ON "twin_api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "twin_api_keys_tenant_idx" ON "twin_api_keys" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "stream_alerts_tenant_idx" ON "stream_alerts" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "stream_billing_configs_lookup_idx" ON "stream_billing_configs" USING btree ("provider","model","effective_from");--> statement-breakpoint
CREATE UNIQUE INDEX "stream_billing_records_stream_uq" ON "stream_billing_records" USING btree ("stream_id");--> statement-breakpoint
CREATE UNIQUE INDEX "stream_billing_records_idem_uq" ON "stream_billing_records" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "stream_billing_records_tenant_started_idx" ON "stream_billing_records" USING btree ("tenant_id","started_at");--> statement-breakpoint
CREATE INDEX "stream_billing_records_open_idx" ON "stream_billing_records" USING btree ("instance_id") WHERE "stream_billing_records"."state" = 'open';--> statement-breakpoint
CREATE UNIQUE INDEX "stream_budgets_tenant_period_uq" ON "stream_budgets" USING btree ("tenant_id","period");--> statement-breakpoint
CREATE INDEX "stream_connections_tenant_created_idx" ON "stream_connections" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "stream_connections_status_idx" ON "stream_connections" USING btree ("status");--> statement-breakpoint
CREATE INDEX "stream_events_stream_idx" ON "stream_events" USING btree ("stream_id");--> statement-breakpoint
CREATE INDEX "stream_events_created_idx" ON "stream_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "stream_metrics_tenant_idx" ON "stream_metrics" USING btree ("tenant_id","updated_at");--> statement-breakpoint
CREATE INDEX "stream_usage_reports_tenant_idx" ON "stream_usage_reports" USING btree ("tenant_id","created_at");