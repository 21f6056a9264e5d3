import { allow } from "../../access/guard";
import {
	MAX_PRODUCTION_ENVIRONMENTS,
	productionSetting,
	setProductionEnvironments,
	settingsInput,
} from "../../catalog/settings";
import { type AppContext, factory } from "../../factory";
import type { ApiError } from "../../http/errors";
import { validate } from "../../http/validation";
import { FormErrors, Time } from "../components";
import { attempt, doneNotice, readForm, splitList } from "../forms";
import { Page } from "../layout";
import { signedIn } from "../security";
import { may } from "../viewer";

const NOTICES = {
	saved: "The production environments were saved: the services list and service pages use them from now on.",
};

/** The page, with what an admin typed and why it was refused when a save failed. */
async function render(c: AppContext, { notice, typed, error }: { notice?: string; typed?: string; error?: ApiError }) {
	const setting = await productionSetting(c.var.db);
	const page = (
		<Page title="Settings" section="settings" notice={notice}>
			<h1>Settings</h1>
			<h2>Production environments</h2>
			<p>
				Services count as <strong>in production</strong> in these environments: the services list shows what runs there,
				and a service's page shows its delivery figures for the first of them it deploys to, unless another environment
				is chosen. Names are compared ignoring letter case and surrounding spaces.
			</p>
			<ul>
				{setting.environments.map((key) => (
					<li>
						<code>{key}</code>
					</li>
				))}
			</ul>
			<p class="muted">
				{setting.updatedAt === null ? (
					"These are the defaults."
				) : (
					<>
						Last changed <Time ms={setting.updatedAt} />; the audit log says by whom.
					</>
				)}
			</p>
			{may("admin") ? (
				<>
					<FormErrors errors={error?.errors} />
					<form method="post" action="/settings" class="stack panel">
						<label>
							Production environments
							<small>
								One per line or separated by commas, 1 to {MAX_PRODUCTION_ENVIRONMENTS}, as your pipelines send them.
							</small>
							<textarea name="production_environments" required>
								{typed ?? setting.environments.join("\n")}
							</textarea>
						</label>
						<div>
							<button type="submit">Save</button>
						</div>
					</form>
				</>
			) : (
				<p class="muted">Only admins can change settings.</p>
			)}
		</Page>
	);
	return c.html(page, error?.status ?? 200);
}

/** The team's settings: everyone signed in reads them, admins change them. */
export const settingsPages = factory
	.createApp()
	.use(...signedIn)
	.get("/", allow("viewer"), (c) => render(c, { notice: doneNotice(c, NOTICES) }))
	.post("/", allow("admin"), async (c) => {
		const form = await readForm(c);
		const saved = await attempt(() => {
			const input = validate(settingsInput, { production_environments: splitList(form.production_environments) });
			return setProductionEnvironments(c.var.db, input.production_environments, c.var.actor);
		});
		if (saved.ok) return c.redirect("/settings?done=saved", 303);
		return render(c, { typed: form.production_environments ?? "", error: saved.error });
	});
