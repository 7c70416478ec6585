//! The small, fixed vocabulary the demo data is drawn from: names, companies and a library of
//! support-themed messages. Everything is picked by a seeded RNG, so the data is the same on
//! every run and nothing is fetched from outside.
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

pub const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Mia", "Lucas", "Harper", "Mateo",
    "Evelyn", "Levi", "Aria", "Kai", "Chloe", "Ethan", "Nora", "Hiro", "Priya", "Arjun", "Fatima", "Omar", "Ingrid",
    "Lars", "Chiara", "Marco", "Aisha", "Kwame", "Yuki", "Mei", "Sofia", "Diego", "Ana", "Tomás", "Zoe", "Felix",
    "Leah", "Jonas",
];

pub const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Garcia", "Brown", "Miller", "Davis", "Martinez", "Lopez", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Martin", "Lee", "Walker", "Hall", "Young", "King", "Wright", "Nguyen", "Patel", "Kim",
    "Tanaka", "Schmidt", "Rossi", "Dubois", "Silva", "Okafor", "Haddad", "Kowalski", "Jensen", "Novak", "Fischer",
];

/// Two halves combined into ~40 distinct company names ("Northwind Logistics", …).
pub const COMPANY_PREFIXES: &[&str] = &[
    "Northwind",
    "Bluefin",
    "Brightpath",
    "Cobalt",
    "Evergreen",
    "Foxglove",
    "Granite",
    "Harbor",
    "Ironclad",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orchid",
    "Pinnacle",
    "Quartz",
    "Redwood",
    "Summit",
    "Tidal",
];
pub const COMPANY_SUFFIXES: &[(&str, &str)] = &[
    ("Logistics", "Logistics"),
    ("Health", "Healthcare"),
    ("Labs", "Software"),
    ("Retail", "Retail"),
    ("Finance", "Financial Services"),
    ("Media", "Media"),
    ("Studios", "Design"),
    ("Energy", "Energy"),
];

pub const REGIONS: &[&str] = &["EMEA", "NA", "LATAM", "APAC"];
pub const LEAD_DOMAINS: &[&str] = &["gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com"];

/// (country, region, city, country code, continent code)
pub const LOCATIONS: &[(&str, &str, &str, &str, &str)] = &[
    ("United States", "California", "San Francisco", "US", "NA"),
    ("United States", "New York", "New York", "US", "NA"),
    ("Canada", "Ontario", "Toronto", "CA", "NA"),
    ("United Kingdom", "England", "London", "GB", "EU"),
    ("Germany", "Berlin", "Berlin", "DE", "EU"),
    ("France", "Île-de-France", "Paris", "FR", "EU"),
    ("Ireland", "Leinster", "Dublin", "IE", "EU"),
    ("Brazil", "São Paulo", "São Paulo", "BR", "SA"),
    ("India", "Karnataka", "Bengaluru", "IN", "AS"),
    ("Japan", "Tokyo", "Tokyo", "JP", "AS"),
    ("Australia", "New South Wales", "Sydney", "AU", "OC"),
];

pub const BROWSERS: &[(&str, &str)] =
    &[("chrome", "124.0"), ("firefox", "125.0"), ("safari", "17.4"), ("edge", "124.0")];
pub const OSES: &[&str] = &["OS X 14.4", "Windows 11", "Linux", "iOS 17.4", "Android 14"];

/// Teammates besides the owner: (name, email local part, role, job title).
pub const TEAMMATES: &[(&str, &str, &str, &str)] = &[
    ("Jordan Rivera", "jordan", "admin", "Head of Support"),
    ("Sam Okafor", "sam", "agent", "Support Engineer"),
    ("Priya Shah", "priya", "agent", "Support Engineer"),
    ("Lukas Weber", "lukas", "agent", "Billing Specialist"),
    ("Mei Tanaka", "mei", "agent", "Customer Success Manager"),
    ("Diego Alvarez", "diego", "agent", "Support Engineer"),
    ("Hannah Cole", "hannah", "viewer", "Product Manager"),
];

/// Team name and the indexes (into the full admin list, owner = 0) of its members.
pub const TEAMS: &[(&str, &[usize])] = &[("Support", &[1, 2, 3, 6]), ("VIP", &[1, 5]), ("Billing", &[4, 0])];

pub const CONVERSATION_TAGS: &[&str] = &["Bug", "Billing", "Feature request", "Refund", "Login", "Urgent"];
pub const CONTACT_TAGS: &[&str] = &["VIP", "Beta tester", "Churn risk", "Onboarding"];

/// (event name, metadata generator key)
pub const EVENTS: &[&str] =
    &["signed-up", "viewed-pricing", "invited-teammate", "created-project", "upgraded-plan", "exported-report"];

/// One support theme: a subject, what customers ask, what teammates answer, internal notes.
pub struct Theme {
    pub tag: &'static str,
    pub subject: &'static str,
    pub questions: &'static [&'static str],
    pub follow_ups: &'static [&'static str],
    pub replies: &'static [&'static str],
    pub notes: &'static [&'static str],
}

pub const THEMES: &[Theme] = &[
    Theme {
        tag: "Billing",
        subject: "Question about my invoice",
        questions: &[
            "Hi, I was charged twice for this month's invoice. Can you check what happened?",
            "Our invoice shows 12 seats but we only have 9 active users. Could you adjust the billing?",
            "How do I add our VAT number to the invoices? Finance needs it for the quarterly audit.",
        ],
        follow_ups: &[
            "Thanks! Will the corrected invoice be emailed to the billing contact?",
            "I attached the card statement, the duplicate charge is on the 3rd.",
            "Great, could you also update the company address on the invoice?",
        ],
        replies: &[
            "Thanks for reaching out! I can see the duplicate charge and I've issued a refund, it should appear within 5-10 business days.",
            "I've updated your subscription to 9 seats; the difference will be credited on your next invoice.",
            "You can add the VAT number under Settings > Billing > Tax details, and it will appear on every future invoice.",
        ],
        notes: &["Checked Stripe: duplicate charge confirmed, refund issued.", "Customer is on annual billing, loop in finance."],
    },
    Theme {
        tag: "Login",
        subject: "Can't log in",
        questions: &[
            "I can't log in anymore, the password reset email never arrives.",
            "Two-factor authentication codes are rejected since I changed phones. Help!",
            "Single sign-on redirects me back to the login page in a loop.",
        ],
        follow_ups: &[
            "Still nothing in my inbox, and I checked the spam folder too.",
            "That worked, thank you so much!",
            "I'm using Chrome on a Mac if that helps.",
        ],
        replies: &[
            "Sorry about that! I've resent the password reset email from our side; it can take a couple of minutes to arrive.",
            "I've reset your two-factor settings, so you can enroll your new phone at the next login.",
            "It looks like your SAML certificate expired yesterday. Could your IT admin upload the new certificate?",
        ],
        notes: &["Email provider is bouncing our reset emails, escalated to the platform team.", "Verified identity via the account owner before resetting 2FA."],
    },
    Theme {
        tag: "Bug",
        subject: "Something is broken",
        questions: &[
            "The export to CSV button does nothing when I click it. Is this a known bug?",
            "Dashboard charts are blank since this morning, all widgets show a spinner.",
            "The mobile app crashes when I open a project with attachments.",
        ],
        follow_ups: &[
            "Here is a screenshot of the error in the console.",
            "It happens for my colleagues as well, so it is not just my browser.",
            "Any update on this? It is blocking our weekly report.",
        ],
        replies: &[
            "Thanks for the detailed report! I could reproduce the export bug and our engineers are working on a fix.",
            "We had an incident with the charts service this morning; it is resolved now, could you refresh and confirm?",
            "The crash is fixed in version 4.2.1 of the mobile app, which is rolling out today.",
        ],
        notes: &["Reproduced on staging, linked to the engineering issue.", "Affects accounts with more than 10k rows, workaround: export by month."],
    },
    Theme {
        tag: "Feature request",
        subject: "Feature request",
        questions: &[
            "Would it be possible to schedule reports to be emailed every Monday?",
            "We would love a dark mode for the dashboard, is that on the roadmap?",
            "Can we get an API endpoint to bulk update project owners?",
        ],
        follow_ups: &[
            "That would save our team hours every week.",
            "Is there a way to vote for it or follow the progress?",
            "Good to know, thanks for passing it on.",
        ],
        replies: &[
            "Great idea! I've shared it with our product team and added your vote to the request.",
            "Dark mode is on the roadmap for next quarter; I'll let you know as soon as it ships.",
            "There's no bulk endpoint yet, but you can loop over the update endpoint in the meantime; I've logged the request.",
        ],
        notes: &["Logged in the product feedback board with the customer's use case.", "Third request this month for scheduled reports."],
    },
    Theme {
        tag: "Refund",
        subject: "Refund request",
        questions: &[
            "We upgraded to the wrong plan by mistake, can we get a refund for the difference?",
            "I'd like to cancel my subscription and get a refund for the unused months.",
            "The annual renewal went through but we had decided not to renew. Can you refund it?",
        ],
        follow_ups: &[
            "Thanks, how long does the refund usually take?",
            "We signed up on the 1st, so it's been less than two weeks.",
            "Appreciate the quick help.",
        ],
        replies: &[
            "No problem, I've moved you back to the previous plan and refunded the difference to your card.",
            "I've cancelled the subscription and processed a prorated refund; you'll get a confirmation email shortly.",
            "As this was within 14 days of renewal, I've issued a full refund.",
        ],
        notes: &["Refund approved under the 14-day policy.", "Offered a discount first, customer declined."],
    },
    Theme {
        tag: "Urgent",
        subject: "Urgent: data missing",
        questions: &[
            "URGENT: half of our projects disappeared from the workspace after the last import!",
            "Our integration stopped syncing orders two hours ago, customers are affected.",
            "Webhook deliveries have been failing all day with a 500 error.",
        ],
        follow_ups: &[
            "Please hurry, our launch is tomorrow.",
            "Sync is working again, thanks team!",
            "Can you share a post-mortem once this is resolved?",
        ],
        replies: &[
            "I'm on it. The projects were archived by the import; I've restored them, could you confirm everything is back?",
            "Our integration provider had an outage; syncing has resumed and the backlog is being replayed now.",
            "We found the cause of the webhook failures and deployed a fix; failed deliveries are being retried.",
        ],
        notes: &["Paged the on-call engineer.", "Enterprise customer, keep the account manager in the loop."],
    },
    Theme {
        tag: "Login",
        subject: "Inviting teammates",
        questions: &[
            "How do I invite my teammates to our workspace?",
            "My colleague says the invitation link has expired, can you resend it?",
            "Can I change the role of a teammate from member to admin?",
        ],
        follow_ups: &["Perfect, that's exactly what I needed.", "Do invited teammates count as paid seats?"],
        replies: &[
            "You can invite teammates from Settings > Team > Invite; they'll receive an email with a link.",
            "I've resent the invitation, the new link is valid for 7 days.",
            "Sure! Open Settings > Team, click the teammate and pick the Admin role.",
        ],
        notes: &["Pointed to the onboarding guide."],
    },
];

/// Picks one item of a non-empty slice.
pub fn pick<'a, T: ?Sized>(rng: &mut StdRng, items: &'a [&'a T]) -> &'a T {
    items.choose(rng).expect("non-empty list")
}

/// Wraps plain text in a paragraph, as bodies are stored as HTML.
pub fn html(text: &str) -> String {
    format!("<p>{text}</p>")
}
