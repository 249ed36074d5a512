import type { AdminMethod, AdminRoute, AdminRouteModule } from './admin-route.js';

/** A matched route and its path parameters. */
export interface RouteMatch {
  route: AdminRoute;
  params: Record<string, string>;
}

/**
 * The admin listener's routes, added a module at a time (the route-module registry: private
 * mode adds its users and torrents routes here). Paths are matched segment by segment.
 */
export class AdminRouter {
  private readonly modules: AdminRouteModule[] = [];

  /** Adds a module's routes; a method and path already routed is an error. */
  add(module: AdminRouteModule): void {
    for (const r of module.routes) {
      const clash = this.routes().find((o) => o.method === r.method && o.path === r.path);
      if (clash !== undefined) {
        throw new Error(`admin route ${r.method} ${r.path} of "${module.name}" is already routed`);
      }
    }
    this.modules.push(module);
  }

  /** Every route of every module. */
  routes(): AdminRoute[] {
    return this.modules.flatMap((m) => m.routes);
  }

  /** Every module, in the order they were added. */
  list(): readonly AdminRouteModule[] {
    return this.modules;
  }

  /**
   * The route for `method` and `path`; `'method'` when the path exists with other methods
   * (405), null when nothing matches (404). A parameter that is not valid percent-encoding
   * does not match.
   */
  match(method: string, path: string): RouteMatch | 'method' | null {
    const segs = path.split('/');
    let other = false;
    for (const route of this.routes()) {
      const params = matchPath(route.path, segs);
      if (params === null) continue;
      if (route.method === (method as AdminMethod)) return { route, params };
      other = true;
    }
    return other ? 'method' : null;
  }
}

function matchPath(template: string, segs: string[]): Record<string, string> | null {
  const t = template.split('/');
  if (t.length !== segs.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const p = t[i]!;
    const s = segs[i]!;
    if (p.startsWith('{') && p.endsWith('}')) {
      if (s === '') return null;
      try {
        params[p.slice(1, -1)] = decodeURIComponent(s);
      } catch {
        return null;
      }
    } else if (p !== s) {
      return null;
    }
  }
  return params;
}
