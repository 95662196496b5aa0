/**
 * Node-RED glue for plivo webhook's place in the http server. With `httpAdminRoot` covering the
 * node's route (both `/`, Node-RED's default), the editor's app runs first and its JSON and form
 * parsers (5 MB, extended) read and parse every request before the webhook sees it: no header is
 * checked before the body, no body bound or deadline holds, and Plivo's text is lost. The front
 * door is one layer at the start of the editor's app that sends the webhooks' own routes straight
 * on to `httpNode` (Express's `next('router')` leaves an app), so the node reads them as sent.
 */
import type { NodeAPI } from 'node-red';
import type { RequestHandler } from 'express';

interface ExpressApp {
  use(handler: RequestHandler): unknown;
  parent?: ExpressApp;
  _router?: { stack: Array<{ name?: string; handle: unknown }> };
}

/** The routes each editor app lets past, "POST /plivo/answer" to the number of nodes serving it. */
const routesByApp = new WeakMap<ExpressApp, Map<string, number>>();

/** How Express matches a route by default: any case, one trailing slash or none. */
const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path.toLowerCase().replace(/\/$/, '')}`;

function normalRoot(root: unknown): string | undefined {
  return typeof root === 'string' ? `/${root.replace(/^\/+|\/+$/g, '')}` : undefined;
}

/** True when the editor's app is mounted where it sees requests for `routePath` (the node's path with httpNodeRoot). */
export function editorCovers(httpAdminRoot: unknown, routePath: string): boolean {
  const admin = normalRoot(httpAdminRoot);
  if (admin === undefined) return false;
  return admin === '/' || routePath === admin || routePath.startsWith(`${admin}/`);
}

function installFrontDoor(editorApp: ExpressApp, stack: NonNullable<ExpressApp['_router']>['stack']): Map<string, number> {
  const routes = new Map<string, number>();
  const frontDoor: RequestHandler = function plivoWebhookFrontDoor(req, _res, next) {
    const pathEnd = req.originalUrl.indexOf('?');
    const path = pathEnd === -1 ? req.originalUrl : req.originalUrl.slice(0, pathEnd);
    if (routes.has(routeKey(req.method, path))) next('router');
    else next();
  };
  editorApp.use(frontDoor);
  const layer = stack.pop();
  // After Express's own first layers (query, expressInit), before CORS, middleware and the parsers.
  const at = stack.findIndex((one) => one.name !== 'query' && one.name !== 'expressInit');
  stack.splice(at === -1 ? stack.length : at, 0, layer as (typeof stack)[number]);
  routesByApp.set(editorApp, routes);
  return routes;
}

/** Routes the editor's app sits in front of, told in one warning per deploy (the nodes of a deploy start together). */
const editorInFront = { routes: new Set<string>(), steppedPast: true, scheduled: false };

function warnEditorInFront(RED: NodeAPI, route: string, steppedPast: boolean): void {
  editorInFront.routes.add(route);
  editorInFront.steppedPast &&= steppedPast;
  if (editorInFront.scheduled) return;
  editorInFront.scheduled = true;
  setImmediate(() => {
    const routes = [...editorInFront.routes].join(', ');
    const key = editorInFront.steppedPast ? 'editor-in-front' : 'editor-in-front-unavoidable';
    RED.log.warn(`[plivo-webhook] ${RED._(`plivo-webhook.errors.${key}`, { routes, root: String(RED.settings.httpAdminRoot) })}`);
    editorInFront.routes.clear();
    editorInFront.steppedPast = true;
    editorInFront.scheduled = false;
  });
}

/**
 * Lets `method routePath` past the editor's app when the editor covers it, and says so once per
 * deploy. Returns what to call when the node closes; undefined when the editor does not cover
 * the route (nothing to do).
 */
export function stepPastEditor(RED: NodeAPI, method: string, routePath: string): (() => void) | undefined {
  if (!editorCovers(RED.settings.httpAdminRoot, routePath)) return undefined;
  // Nodes get the runtime's admin app; Node-RED mounts it in the editor's, which holds the parsers.
  const editorApp = (RED.httpAdmin as unknown as ExpressApp).parent;
  const stack = editorApp?._router?.stack;
  const steppedPast = editorApp !== undefined && Array.isArray(stack);
  warnEditorInFront(RED, routePath, steppedPast);
  if (!editorApp || !Array.isArray(stack)) return () => undefined;
  const routes = routesByApp.get(editorApp) ?? installFrontDoor(editorApp, stack);
  const key = routeKey(method, routePath);
  routes.set(key, (routes.get(key) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (routes.get(key) ?? 1) - 1;
    if (left > 0) routes.set(key, left);
    else routes.delete(key);
  };
}
