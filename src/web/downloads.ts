/** Saves a blob under a file name through a temporary link (no server round trip). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function saveCanvasPng(canvas: HTMLCanvasElement, name: string): Promise<void> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => {
      if (!blob) return reject(new Error('the picture could not be encoded as PNG'));
      saveBlob(blob, name);
      resolve();
    }, 'image/png'),
  );
}

export function saveText(text: string, name: string, type = 'application/json'): void {
  saveBlob(new Blob([text], { type }), name);
}

/** `photo.jpg` → `photo`. */
export function stem(name: string): string {
  return name.replace(/\.[^.]+$/, '') || 'photo';
}
