#!/usr/bin/env node
import { createWebhooksApp } from '../lib/webhooks-app.js';

/** `npx cdk synth|deploy`: the stack `Webhooks` (context `stackName` renames it). See lib/webhooks-app.ts. */
createWebhooksApp();
