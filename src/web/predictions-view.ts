import type { Prediction } from '../explain/predictions.ts';

/** The top-5 as bars; clicking one explains that class. */
export function renderPredictions(list: HTMLElement, predictions: readonly Prediction[], target: Prediction | null, onPick: (classIndex: number) => void): void {
  const rows = [...predictions];
  // A class chosen outside the top-5 (?class=N) is shown too, so the picture always says what it explains.
  if (target && !rows.some((p) => p.classIndex === target.classIndex)) rows.push(target);
  list.replaceChildren(
    ...rows.map((p, rank) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'prediction';
      button.dataset.testid = 'prediction';
      button.dataset.classIndex = String(p.classIndex);
      button.setAttribute('aria-pressed', String(target?.classIndex === p.classIndex));
      button.title = `Explain class ${p.classIndex} (${p.label})`;
      const percent = p.probability * 100;
      button.innerHTML = `
        <span class="rank">${rank < predictions.length ? rank + 1 : '·'}</span>
        <span class="label"></span>
        <span class="percent">${percent >= 0.1 ? percent.toFixed(1) : percent.toExponential(1)} %</span>
        <span class="bar"><span style="width:${Math.max(0.5, Math.min(100, percent)).toFixed(2)}%"></span></span>`;
      button.querySelector('.label')!.textContent = p.label;
      button.addEventListener('click', () => onPick(p.classIndex));
      item.append(button);
      return item;
    }),
  );
}
