import { adviceFor, type ErrorAdvice } from './error-advice.ts';

/** The one place errors reach the user: a banner at the top of the page that says what failed and what to do. */
export class ErrorBanner {
  private readonly title: HTMLElement;
  private readonly message: HTMLElement;
  private readonly advice: HTMLElement;
  private readonly reload: HTMLButtonElement;

  constructor(private readonly root: HTMLElement) {
    this.title = root.querySelector('[data-role="title"]')!;
    this.message = root.querySelector('[data-role="message"]')!;
    this.advice = root.querySelector('[data-role="advice"]')!;
    this.reload = root.querySelector('[data-role="reload"]')!;
    this.reload.addEventListener('click', () => location.reload());
    root.querySelector('[data-role="dismiss"]')!.addEventListener('click', () => this.clear());
  }

  show(error: unknown): ErrorAdvice {
    const advice = adviceFor(error);
    console.error(error);
    this.root.hidden = false;
    this.root.dataset.kind = advice.kind;
    this.title.textContent = advice.title;
    this.message.textContent = advice.message;
    this.advice.textContent = advice.advice;
    this.reload.hidden = !advice.offerReload;
    return advice;
  }

  clear(): void {
    this.root.hidden = true;
    delete this.root.dataset.kind;
  }
}
