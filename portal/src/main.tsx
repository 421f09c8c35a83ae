import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LINK_FRAGMENT_PARAM } from '../../functions/domain/portal.js';
import { ApiFailure, api, type EventType, startSession } from './api.js';
import { CatalogView } from './catalog.js';
import { SubscriptionPage } from './subscription.js';
import { SubscriptionsView } from './subscriptions.js';
import { formatTime } from './ui.js';

type Phase = { kind: 'starting' } | { kind: 'unusable'; message: string } | { kind: 'ended' } | { kind: 'ready'; expires: string };

/** The link token is read from the fragment once and removed from the address bar at once. */
function takeLinkToken(): string | undefined {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get(LINK_FRAGMENT_PARAM) ?? undefined;
  history.replaceState(null, '', `${location.pathname}#/`);
  return token;
}

function useRoute(): string {
  const [route, setRoute] = useState(location.hash);
  useEffect(() => {
    const on = () => setRoute(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** What the server says about getting a new link (index.html's meta tag), if anything. */
function newLinkHelp(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="new-link-help"]')?.content.trim() ?? '';
}

function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'starting' });
  const [catalog, setCatalog] = useState<EventType[]>([]);
  const route = useRoute();

  useEffect(() => {
    const token = takeLinkToken();
    if (!token) {
      setPhase({ kind: 'unusable', message: 'This page opens from a portal link. Ask for a new portal link.' });
      return;
    }
    startSession(token).then(
      async (expires) => {
        setPhase({ kind: 'ready', expires });
        const out = await api.get<{ event_types: EventType[] }>('/api/v0.1/event-types');
        setCatalog(out.event_types);
      },
      (err: unknown) =>
        setPhase({ kind: 'unusable', message: err instanceof ApiFailure ? err.message : 'The portal could not start. Try again later.' }),
    );
  }, []);

  useEffect(() => {
    if (phase.kind !== 'ready') return;
    const ms = Date.parse(phase.expires) - Date.now();
    const timer = setTimeout(() => setPhase({ kind: 'ended' }), Math.max(0, ms));
    return () => clearTimeout(timer);
  }, [phase]);

  if (phase.kind === 'starting') return <p class="loading">Opening the portal…</p>;
  if (phase.kind === 'unusable' || phase.kind === 'ended')
    return (
      <main class="notice-page">
        <h1>Webhooks portal</h1>
        <p role="alert">{phase.kind === 'ended' ? 'Your portal session has ended. Ask for a new portal link.' : phase.message}</p>
        {newLinkHelp() && <p class="new-link-help">{newLinkHelp()}</p>}
      </main>
    );

  const subscriptionMatch = /^#\/subscriptions\/([^/]+)$/.exec(route);
  const view = route === '#/catalog' ? 'catalog' : subscriptionMatch ? 'subscription' : 'subscriptions';
  return (
    <>
      <header class="top">
        <span class="brand">Webhooks</span>
        <nav aria-label="Portal">
          <a href="#/" aria-current={view !== 'catalog' ? 'page' : undefined}>
            Subscriptions
          </a>
          <a href="#/catalog" aria-current={view === 'catalog' ? 'page' : undefined}>
            Event catalog
          </a>
        </nav>
        <span class="session">Session ends {formatTime(phase.expires)}</span>
      </header>
      <main>
        {view === 'catalog' ? (
          <CatalogView catalog={catalog} />
        ) : subscriptionMatch ? (
          <SubscriptionPage id={decodeURIComponent(subscriptionMatch[1]!)} catalog={catalog} />
        ) : (
          <SubscriptionsView catalog={catalog} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
