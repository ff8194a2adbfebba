import { Link } from "react-router";
import { Page } from "../components/Page";

export function NotFound() {
  return (
    <Page title="Page not found">
      <p>There is no screen at this address. It may have moved, or the link is mistyped.</p>
      <p>
        <Link to="/">Go to the dashboard</Link>
      </p>
    </Page>
  );
}

export function NotAllowed({ need }: { need: string }) {
  return (
    <Page title="Not available to you">
      <div className="alert alert-error" role="alert">
        <p>
          <strong>You may not open this screen.</strong> It needs the {need} role.
        </p>
        <p>
          See <Link to="/me">your roles and scopes</Link>, or ask a Platform Admin.
        </p>
      </div>
    </Page>
  );
}
