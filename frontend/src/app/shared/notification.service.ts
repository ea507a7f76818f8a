import { Injectable, signal } from '@angular/core';

export type ToastKind = 'info' | 'success' | 'warning' | 'error';

/** A button on a toast that does what its text suggests. */
export interface ToastAction {
  label: string;
  run(): void;
}

export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
  action?: ToastAction;
}

const LIFETIME_MS: Record<ToastKind, number> = {
  info: 4000,
  success: 3000,
  warning: 8000,
  error: 10000,
};

/** Short messages for the user (toasts); the same text is not stacked twice. */
@Injectable({ providedIn: 'root' })
export class NotificationService {
  private nextId = 1;
  private readonly state = signal<Toast[]>([]);
  readonly toasts = this.state.asReadonly();

  show(kind: ToastKind, text: string, action?: ToastAction): void {
    if (this.state().some((t) => t.text === text)) return;
    const toast = { id: this.nextId++, kind, text, action };
    this.state.update((list) => [...list.slice(-3), toast]);
    setTimeout(() => this.dismiss(toast.id), LIFETIME_MS[kind]);
  }

  dismiss(id: number): void {
    this.state.update((list) => list.filter((t) => t.id !== id));
  }
}
