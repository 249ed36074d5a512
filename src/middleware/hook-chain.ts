import type { AnnounceRequest, AnnounceResponse } from '../bittorrent/announce.js';
import type { Hook } from './hook.js';

type Pre = (req: AnnounceRequest) => void | Promise<void>;
type Post = (req: AnnounceRequest, res: AnnounceResponse) => void | Promise<void>;

/**
 * Hooks resolved once into plain arrays per phase, run by an indexed loop that awaits only
 * when a hook returns a promise.
 */
export class HookChain {
  private readonly pre: Pre[];
  private readonly post: Post[];
  private readonly onPostError: (err: unknown, hook: string) => void;
  private readonly postNames: string[];

  constructor(hooks: readonly Hook[], onPostError: (err: unknown, hook: string) => void) {
    const names = new Set<string>();
    for (const h of hooks) {
      if (names.has(h.name)) throw new Error(`hook "${h.name}" is configured twice`);
      names.add(h.name);
    }
    this.pre = hooks.flatMap((h) => (h.preAnnounce ? [h.preAnnounce.bind(h)] : []));
    const posts = hooks.filter((h) => h.postAnnounce !== undefined);
    this.post = posts.map((h) => h.postAnnounce!.bind(h));
    this.postNames = posts.map((h) => h.name);
    this.onPostError = onPostError;
  }

  get hasPre(): boolean {
    return this.pre.length > 0;
  }

  get hasPost(): boolean {
    return this.post.length > 0;
  }

  /** Runs the pre-announce hooks: undefined when all were synchronous, else a promise. */
  runPre(req: AnnounceRequest): void | Promise<void> {
    const pre = this.pre;
    for (let i = 0; i < pre.length; i++) {
      const r = pre[i]!(req);
      if (r instanceof Promise) return this.finishPre(req, i + 1, r);
    }
    return undefined;
  }

  private async finishPre(
    req: AnnounceRequest,
    from: number,
    pending: Promise<void>,
  ): Promise<void> {
    await pending;
    for (let i = from; i < this.pre.length; i++) await this.pre[i]!(req);
  }

  /** Schedules the post-announce hooks after the current reply is out. */
  schedulePost(req: AnnounceRequest, res: AnnounceResponse): void {
    setImmediate(() => this.runPost(req, res));
  }

  private runPost(req: AnnounceRequest, res: AnnounceResponse): void {
    for (let i = 0; i < this.post.length; i++) {
      const name = this.postNames[i]!;
      try {
        const r = this.post[i]!(req, res);
        if (r instanceof Promise) r.catch((err: unknown) => this.onPostError(err, name));
      } catch (err) {
        this.onPostError(err, name);
      }
    }
  }
}
