// Renders the API's own OpenAPI document (GET /api/openapi.json, same origin) with Redoc's
// standalone bundle served beside this file. No inline script: the page's CSP allows 'self' only.
const spec = document.querySelector('meta[name="openapi-document"]').getAttribute('content');
globalThis.Redoc.init(
  spec,
  {
    // Redoc's search runs in a worker made from a blob: URL, which the CSP does not allow.
    disableSearch: true,
    hideDownloadButton: false,
    expandResponses: '200,201,202',
  },
  document.getElementById('redoc'),
);
