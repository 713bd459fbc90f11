import { videoFrame, type Photo } from './decode-browser.ts';

export class CameraError extends Error {
  override name = 'CameraError';
}

/**
 * Live mode: frames from the webcam explained one after another, as fast as the GPU finishes them (the next frame is
 * grabbed only when the previous one is fully explained, so nothing queues up). Frames per second are a moving
 * average of whole explanations.
 */
export class LiveCamera {
  private stream: MediaStream | null = null;
  private running = false;
  private loopDone: Promise<void> | null = null;
  fps = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    /** Explains one frame; resolves when its results are shown. */
    private readonly explainFrame: (frame: Photo) => Promise<void>,
    private readonly onFps: (fps: number) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new CameraError('this browser gives the page no camera access (it needs https or localhost)');
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (error) {
      const name = (error as DOMException).name;
      throw new CameraError(
        name === 'NotAllowedError'
          ? 'the camera was not allowed: allow it for this page (the camera icon in the address bar) and try again'
          : name === 'NotFoundError'
            ? 'no camera was found: connect one and try again'
            : `the camera could not be opened (${(error as Error).message}); another program may be using it`,
      );
    }
    this.video.srcObject = this.stream;
    await this.video.play();
    this.running = true;
    this.fps = 0;
    this.loopDone = this.loop();
  }

  /** Stops after the frame in flight and releases the camera. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loopDone;
    this.loopDone = null;
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.srcObject = null;
  }

  private async loop(): Promise<void> {
    let last = performance.now();
    while (this.running) {
      if (this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
        await this.explainFrame(videoFrame(this.video));
        const now = performance.now();
        const instant = 1000 / Math.max(1, now - last);
        last = now;
        this.fps = this.fps === 0 ? instant : 0.8 * this.fps + 0.2 * instant;
        this.onFps(this.fps);
      }
      // Let the page paint and handle input between frames.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}
