import { Component, type ErrorInfo, type ReactNode } from "react";

/**
 * A screen that throws while rendering shows a message instead of a blank page; the rest of the
 * app (navigation, sign out) keeps working. Keyed by location by the caller, so navigating resets it.
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error("screen failed to render", error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="alert alert-error" role="alert">
        <p className="alert-title">
          <strong>This screen failed to display.</strong>
        </p>
        <p>{this.state.error.message}</p>
        <p>Reload the page, or go to another screen; if it keeps happening, report it with the time.</p>
        <button type="button" className="btn" onClick={() => window.location.reload()}>
          Reload the page
        </button>
      </div>
    );
  }
}
