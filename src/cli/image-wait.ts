/**
 * The common part of `server image create` and `server backup create`: the image Nova started,
 * read back from Glance (as openstackclient prints it: `queued` without --wait), or with --wait
 * polled until `active` (src/compute/images.ts `waitForImage`) with a live line on a terminal and
 * Ctrl-C stopping the wait; a snapshot that fails is one line with the failed events of the
 * server's createImage/createBackup action.
 */
import type { Context } from './context.js';
import { interrupts } from './process.js';
import { ProgressBoard } from './progress.js';
import { actionFailures } from '../compute/events.js';
import { formatImage, waitForImage, type Image } from '../compute/images.js';
import type { SnapshotStarted } from '../compute/snapshots.js';
import type { Server } from '../compute/types.js';
import { NcliError } from '../errors.js';

/** What {@link showStartedImage} needs. */
export interface StartedImage {
  server: Server;
  started: SnapshotStarted;
  /** `snapshot`, `backup`. */
  what: string;
  /** The image's name, for messages. */
  name: string;
  wait: boolean;
  /** Seconds. */
  timeout: number;
}

/**
 * Prints the image a snapshot or backup made (after waiting for it to be active with `wait`).
 * @throws ImageFailedError, NcliError `WAIT_TIMEOUT`/`INTERRUPTED`/`FAILED`, ApiError
 */
export async function showStartedImage(ctx: Context, s: StartedImage): Promise<void> {
  const id = s.started.imageId;
  if (!id) {
    throw new NcliError(
      'FAILED',
      `Nova accepted the ${s.what} of server ${s.server.name} but named no image (a backup with --rotate 0 before compute API 2.45 keeps none).`,
    );
  }
  const images = await ctx.images();
  const label = `${s.what} ${s.name} (${id}) of server ${s.server.name}`;
  let image: Image;
  if (!s.wait) {
    image = await images.getImage(id);
  } else {
    const compute = await ctx.compute();
    const board = new ProgressBoard(ctx.io.err, true);
    const stop = interrupts(ctx.debug);
    const t0 = Date.now();
    try {
      image = await waitForImage(images, id, {
        timeoutSeconds: s.timeout,
        label,
        signal: stop.signal,
        onPoll: (i) =>
          board.set('image', `${s.name}  ${i?.status ?? 'gone'}  ${((Date.now() - t0) / 1000).toFixed(0)} s`),
        whyFailed: async () => {
          const failures = await actionFailures(compute, s.server.id, s.started.requestId);
          const parts = failures.map((f) => `event ${f.event} failed${f.reason ? `: ${f.reason}` : ''}`);
          return parts.length ? parts.join('; ') : undefined;
        },
      });
    } finally {
      stop.dispose();
      board.clear();
    }
  }
  await ctx.rememberNames('image', [{ id: image.id, name: image.name ?? undefined }], { complete: false });
  await ctx.show(formatImage(image));
}
