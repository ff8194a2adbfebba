import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Route, Routes } from "react-router";
import { ApiProblem } from "./api/problem";
import { RequireAuth, SessionProvider } from "./auth/session";
import { Layout } from "./components/Layout";
import { ApplicationDetail } from "./pages/ApplicationDetail";
import { Apply } from "./pages/Apply";
import { Applications } from "./pages/Applications";
import { CabQueue } from "./pages/CabQueue";
import { CabReview } from "./pages/CabReview";
import { Components } from "./pages/Components";
import { ConnectorDetail, Connectors } from "./pages/Connectors";
import { Dashboard } from "./pages/Dashboard";
import { Drift } from "./pages/Drift";
import { DriftDetail } from "./pages/DriftDetail";
import { Exceptions } from "./pages/Exceptions";
import { RiskRubrics } from "./pages/RiskRubrics";
import { IntentDetail } from "./pages/IntentDetail";
import { IntentForm } from "./pages/IntentForm";
import { Intents } from "./pages/Intents";
import { Ledger } from "./pages/Ledger";
import { LedgerEvent } from "./pages/LedgerEvent";
import { Login } from "./pages/Login";
import { Me } from "./pages/Me";
import { NotFound } from "./pages/NotFound";
import { Incidents } from "./pages/Incidents";
import { Rollouts } from "./pages/Rollouts";
import { Windows } from "./pages/Windows";
import { Sites } from "./pages/Sites";
import { Settings } from "./pages/Settings";
import { Notifications } from "./pages/Notifications";
import { WebhookDeliveries } from "./pages/WebhookDeliveries";
import { Webhooks } from "./pages/Webhooks";
import { SiemDestinations } from "./pages/SiemDestinations";
import { TrustedKeys } from "./pages/TrustedKeys";
import { SsoMappings } from "./pages/SsoMappings";

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        // A 4xx will not change by asking again; a network blip or 5xx might.
        retry: (failures, error) =>
          failures < 2 && !(error instanceof ApiProblem && error.status >= 400 && error.status < 500),
      },
      mutations: { retry: false },
    },
  });
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<Login />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<Dashboard />} />
        <Route path="me" element={<Me />} />
        <Route path="applications" element={<Applications />} />
        <Route path="applications/:id" element={<ApplicationDetail />} />
        <Route path="intents" element={<Intents />} />
        <Route path="intents/new" element={<IntentForm key="new" />} />
        <Route path="intents/apply" element={<Apply />} />
        <Route path="intents/:id" element={<IntentDetail />} />
        <Route path="intents/:id/edit" element={<IntentForm key="edit" />} />
        <Route path="rollouts" element={<Rollouts />} />
        <Route path="incidents" element={<Incidents />} />
        <Route path="drift" element={<Drift />} />
        <Route path="drift/:id" element={<DriftDetail />} />
        <Route path="windows" element={<Windows />} />
        <Route path="sites" element={<Sites />} />
        <Route path="ledger" element={<Ledger />} />
        <Route path="ledger/:sequence" element={<LedgerEvent />} />
        <Route path="cab" element={<CabQueue />} />
        <Route path="cab/:id" element={<CabReview />} />
        <Route path="exceptions" element={<Exceptions />} />
        <Route path="risk/rubrics" element={<RiskRubrics />} />
        <Route path="components" element={<Components />} />
        <Route path="trusted-keys" element={<TrustedKeys />} />
        <Route path="connectors" element={<Connectors />} />
        <Route path="connectors/:id" element={<ConnectorDetail />} />
        <Route path="settings/*" element={<Settings />} />
        <Route path="webhooks" element={<Webhooks />} />
        <Route path="siem" element={<SiemDestinations />} />
        <Route path="single-sign-on" element={<SsoMappings />} />
        <Route path="webhooks/:id" element={<WebhookDeliveries />} />
        <Route path="notifications" element={<Notifications />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

export function App({ queryClient = makeQueryClient() }: { queryClient?: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SessionProvider>
          <AppRoutes />
        </SessionProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
