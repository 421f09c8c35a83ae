import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { API_DOCS_PATH } from '../../functions/app/api-docs-assets.js';
import { PORTAL_PATH, RECEIVER_GUIDE_URL_ENV } from '../../functions/domain/portal.js';
import { type MemorySizes, prebundledHandler, WebhookFunction } from './webhook-function.js';

// The packed package ships the portal function pre-bundled with the page beside it; only in this
// repository is the page built, with the project's esbuild, so a consumer never loads it.
const portalBuild = prebundledHandler('portal') ? undefined : await import('../../portal/build.js');

let builtDir: string | undefined;

/** Built once per synth process (`portal/` and `api-docs/`); each bundling step copies both beside index.mjs. */
function builtPortalDir(): string {
  if (!portalBuild) throw new Error('the portal is pre-bundled: nothing to build');
  if (!builtDir) {
    builtDir = mkdtempSync(join(tmpdir(), 'webhooks-portal-'));
    portalBuild.writePortal(portalBuild.buildPortalSync(), join(builtDir, 'portal'));
    portalBuild.writePortal(portalBuild.buildApiDocs(), join(builtDir, 'api-docs'));
  }
  return builtDir;
}

export interface TenantPortalProps {
  readonly api: apigw.RestApi;
  /** Where the page's links to the receiver guide point. @default the guide served beside the page (`<ApiUrl>portal/receiving-webhooks.md`) */
  readonly receiverGuideUrl?: string;
  /** Memory by handler (its `portal` entry), over this construct's 128 MB. @default none */
  readonly memorySizes?: MemorySizes;
}

/**
 * The tenant portal's page on the API's own origin: `GET <ApiUrl>portal/` and its two files,
 * served without the authorizer by a small function that holds them in memory. Same origin as
 * the API, so the page needs no CORS and its CSP can say `connect-src 'self'`. The page is
 * public; everything it shows comes from the API with a session token.
 */
export class TenantPortal extends Construct {
  readonly portalFunction: WebhookFunction;
  /** GET /api/docs and GET /api/docs/{proxy+}. */
  readonly apiDocsMethods: apigw.Method[];

  constructor(scope: Construct, id: string, props: TenantPortalProps) {
    super(scope, id);

    this.portalFunction = new WebhookFunction(this, 'Assets', {
      handler: 'portal',
      description: 'Serves the tenant portal page (HTML, JS, CSS) and the API reference page, with their Content-Security-Policy.',
      timeout: Duration.seconds(5),
      memorySize: 128,
      memorySizes: props.memorySizes,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...(props.receiverGuideUrl ? { [RECEIVER_GUIDE_URL_ENV]: props.receiverGuideUrl } : {}),
      },
      afterBundling: (outputDir) => ['portal', 'api-docs'].map((dir) => `cp -r "${join(builtPortalDir(), dir)}" "${join(outputDir, dir)}"`),
    });

    const integration = new apigw.LambdaIntegration(this.portalFunction.function, { proxy: true, allowTestInvoke: false });
    const publicGet: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.NONE };
    const resource = props.api.root.addResource(PORTAL_PATH.replace(/\/$/, ''));
    const methods = [
      resource.addMethod('GET', integration, publicGet),
      resource.addProxy({ anyMethod: false }).addMethod('GET', integration, publicGet),
    ];
    for (const method of methods) {
      Validations.of(method).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: 'The portal page and its script and style files are public; they hold no tenant data.' },
        { id: 'AwsSolutions-COG4', reason: 'The portal page is public; its API calls carry a portal session token.' },
      );
    }

    // The API reference (GET /api/docs and its two scripts), public as the document it renders
    // (GET /api/openapi.json). Its own resources under /api: the rest of /api routes as before.
    const docs = props.api.root.resourceForPath(API_DOCS_PATH.slice(1));
    this.apiDocsMethods = [
      docs.addMethod('GET', integration, publicGet),
      docs.addProxy({ anyMethod: false }).addMethod('GET', integration, publicGet),
    ];
    for (const method of this.apiDocsMethods) {
      Validations.of(method).acknowledge(
        {
          id: 'AwsSolutions-APIG4',
          reason: 'The API reference page is public, as the OpenAPI document it renders; it holds no tenant data.',
        },
        { id: 'AwsSolutions-COG4', reason: 'The API reference page is public on purpose.' },
      );
    }
  }
}
