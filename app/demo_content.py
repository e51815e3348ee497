"""The words of the demo: people, comments, briefs. Kept apart from `app.demo` (which only
orchestrates services) so that editing a comment never means reading loader code.

The people and organisations are fictional; e-mail addresses are under `.example`, a domain
reserved so that no demo notification can ever reach a real mailbox. Comments are anchored by
a phrase of the paragraph they discuss rather than by position, so they stay readable and
fail loudly if a corpus file changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.enums import Attribution, Disposition, Role, StakeholderGroup, Stance

DOMAIN = "demo.roundtable.example"
PASSWORD = "roundtable-demo"  # noqa: S105 - the documented password of the public demo
EDITOR = "editor"
ADMIN = "admin"

G = StakeholderGroup
S = Stance
A = Attribution
D = Disposition


@dataclass(frozen=True, slots=True)
class Person:
    handle: str  # the local part of the e-mail address
    name: str
    group: StakeholderGroup | None
    organisation: str | None
    country: str | None
    role: Role = Role.PARTICIPANT

    @property
    def email(self) -> str:
        return f"{self.handle}@{DOMAIN}"


@dataclass(frozen=True, slots=True)
class Remark:
    """A top-level comment, its replies and (on a closed consultation) its disposition."""

    by: str
    anchor: str  # a phrase of the paragraph's plain text
    stance: Stance
    body: str
    attribution: Attribution = A.NAMED
    suggest: tuple[str, str] | None = None  # (old, new) applied to the paragraph's text
    replies: tuple[tuple[str, str], ...] = ()  # (handle, body)
    ref: str = ""  # the name a brief cites it by
    disposition: Disposition | None = None
    rationale: str = ""


PEOPLE = (
    Person(
        EDITOR,
        "Наталія Гончаренко",
        G.TECHNICAL_COMMUNITY,
        "Internet Society Ukraine Chapter",
        "UA",
        Role.EDITOR,
    ),
    Person(
        ADMIN,
        "Roundtable Administrator",
        None,
        "Internet Society Ukraine Chapter",
        "UA",
        Role.ADMIN,
    ),
    Person(
        "olena.kovalenko",
        "Олена Коваленко",
        G.GOVERNMENT,
        "Державне агентство цифрової інфраструктури",
        "UA",
    ),
    Person(
        "james.whitfield", "James Whitfield", G.GOVERNMENT, "Office for Digital Resilience", "GB"
    ),
    Person(
        "marta.nowak",
        "Marta Nowak",
        G.GOVERNMENT,
        "Office of the Digital Affairs Commissioner",
        "PL",
    ),
    Person("andrii.melnyk", "Андрій Мельник", G.PRIVATE_SECTOR, "Дніпро Телеком", "UA"),
    Person(
        "sophie.laurent", "Sophie Laurent", G.PRIVATE_SECTOR, "EuroCloud Hosting Alliance", "FR"
    ),
    Person(
        "iryna.bondarenko", "Ірина Бондаренко", G.ACADEMIA, "Харківський інститут кіберправа", "UA"
    ),
    Person(
        "daniel.okafor",
        "Daniel Okafor",
        G.ACADEMIA,
        "Northbridge University, Centre for Internet Governance",
        "GB",
    ),
    Person("taras.shevchuk", "Тарас Шевчук", G.CIVIL_SOCIETY, "Лабораторія цифрових прав", "UA"),
    Person("amira.haddad", "Amira Haddad", G.CIVIL_SOCIETY, "Open Rights Coalition", "BE"),
    Person(
        "bohdan.tkachenko",
        "Богдан Ткаченко",
        G.TECHNICAL_COMMUNITY,
        "Асоціація операторів точок обміну трафіком",
        "UA",
    ),
    Person(
        "priya.raman",
        "Priya Raman",
        G.TECHNICAL_COMMUNITY,
        "Regional Internet Operators Group",
        "NL",
    ),
    Person("lukas.meier", "Lukas Meier", G.TECHNICAL_COMMUNITY, "Open Resolver Project", "CH"),
)

# --- encryption (English): RFC 9614, "Partitioning as an Architecture for Privacy" ------------

ENCRYPTION_SLUG = "privacy-partitioning-encryption"
ENCRYPTION_TITLE = "Encryption and privacy partitioning: draft chapter position"
ENCRYPTION_SUMMARY = (
    "The chapter proposes to endorse the IAB's analysis of privacy partitioning (RFC 9614) as "
    "the basis of its position on encryption: keep who someone is apart from what they do, "
    "and do not weaken the encryption that makes that separation possible. Comment on any "
    "paragraph; say which stakeholder group you speak for."
)

# Version 2: two paragraphs reworded after comments, and one paragraph added by the editors.
ENCRYPTION_V2_NOTE = (
    "Reworded the opening of the second paragraph and the collusion safeguards after "
    "comments; added a paragraph stating that the position does not endorse mandated access."
)
ENCRYPTION_V2_EDITS = (
    (
        "However, a secure channel between two endpoints is insufficient for the privacy",
        "However, a secure channel between two endpoints is necessary but not sufficient for "
        "the privacy",
    ),
    (
        "along with auditing to validate that the policies are being followed.",
        "along with independent audits, whose results are published, to validate that the "
        "policies are being followed.",
    ),
    (
        "meaningful privacy improvements. See “Limits of Privacy Partitioning” for more "
        "information.",
        "meaningful privacy improvements. See “Limits of Privacy Partitioning” for more "
        "information.\n\n"
        "Nothing in this position endorses mandated access to the content of encrypted "
        "communications: a capability that lets a third party join every context defeats "
        "the separation that partitioning relies on.",
    ),
)

ENCRYPTION_BEFORE_V2 = (
    Remark(
        "james.whitfield",
        "Encryption and authentication of data in transit are necessary",
        S.QUESTION,
        "The draft treats encryption in transit as an unqualified good. How does the chapter "
        "expect lawful access to communications, under judicial authorisation, to work once "
        "partitioning also removes the metadata that investigators rely on today?",
        replies=(
            (
                EDITOR,
                "Thank you. The position does not set out a lawful access mechanism; it argues "
                "that any such mechanism must not create a party present in every context. We "
                "will say so explicitly in the next version.",
            ),
        ),
    ),
    Remark(
        "amira.haddad",
        "a secure channel between two endpoints is insufficient for the privacy",
        S.AMEND,
        "“Insufficient” reads as if encryption were optional. Encryption is the precondition; "
        "partitioning builds on it. Please say “necessary but not sufficient”.",
        A.ORGANISATION,
        suggest=(
            "is insufficient for the privacy",
            "is necessary but not sufficient for the privacy",
        ),
    ),
    Remark(
        "andrii.melnyk",
        "A user accessing a service on a website might not consent to reveal their location",
        S.OPPOSE,
        "Operators rely on IP geolocation to meet licensing and sanctions obligations. If relays "
        "hide the client's location by default, we cannot show the regulator that a service is "
        "not offered in occupied territories. The position should acknowledge this conflict.",
        A.ORGANISATION,
        replies=(
            (
                "taras.shevchuk",
                "Sanctions compliance is the service's obligation, not the access network's. "
                "Users in frontline areas need location privacy more than anyone.",
            ),
            (
                EDITOR,
                "Noted. We will list compliance uses of location among the trade-offs in the "
                "“Partitioning Impacts” section rather than in the introduction.",
            ),
        ),
    ),
    Remark(
        "iryna.bondarenko",
        "it is important to keep identity (who) and data",
        S.SUPPORT,
        "Our 2024 review of public e-services found identity records and usage logs kept in the "
        "same database in 11 of 14 services. This principle should be recommended to public "
        "bodies explicitly, not only to protocol designers.",
    ),
    Remark(
        "priya.raman",
        "Oblivious HTTP uses both encryption and separation of connections",
        S.SUPPORT,
        "Operating experience with OHTTP relays is good. The chapter could encourage relays run "
        "by independent organisations in the region, so that relay and gateway are not the same "
        "company under two names.",
    ),
    Remark(
        "olena.kovalenko",
        "Policy and contractual agreements between entities involved in partitioning",
        S.AMEND,
        "Contracts alone will not reassure regulators. Audits should be independent and their "
        "results public.",
        A.GROUP,
        suggest=(
            "along with auditing to validate",
            "along with independent audits, whose results are published, to validate",
        ),
    ),
    Remark(
        "sophie.laurent",
        "many existing anti-abuse systems depend on some client identifier",
        S.AMEND,
        "Hosting providers depend on IP reputation for DDoS mitigation. The position should ask "
        "for privacy-preserving anti-abuse signals to be deployed before IP-based ones are "
        "withdrawn, or smaller hosts will simply block relay traffic.",
        A.ORGANISATION,
        suggest=(
            "requires new solutions to the anti-abuse problem.",
            "requires new solutions to the anti-abuse problem, such as Privacy Pass tokens, "
            "which should be deployed before IP-based signals are withdrawn.",
        ),
    ),
    Remark(
        "bohdan.tkachenko",
        "This tradeoff encourages the centralization of the Oblivious Relays",
        S.AMEND,
        "Partitioning that ends with three relay operators worldwide trades one chokepoint for "
        "another. After the attacks on Ukrainian infrastructure we ask the chapter to treat relay "
        "diversity as a condition, not an afterthought.",
        replies=(
            (
                "priya.raman",
                "Agreed. Diversity of jurisdiction matters as much as the number of operators.",
            ),
        ),
    ),
    Remark(
        "amira.haddad",
        "Traffic analysis could be exploited",
        S.SUPPORT,
        "Important and often forgotten in policy debates: encryption hides content, not the shape "
        "of traffic. Good that the draft says so plainly.",
    ),
    Remark(
        "daniel.okafor",
        "It is not currently possible to guarantee with technical protocol measures",
        S.QUESTION,
        "Has the chapter considered recommending that data protection authorities treat the "
        "relay and the gateway as separate controllers, with a duty not to share data? That "
        "would give non-collusion a legal footing.",
        replies=(
            (
                EDITOR,
                "A good point for the brief. Could you share the references you have in mind?",
            ),
        ),
    ),
    Remark(
        "marta.nowak",
        "Privacy partitioning is not a panacea",
        S.SUPPORT,
        "Welcome realism. Policy makers are often sold technical fixes; this sentence should "
        "stay in whatever the chapter finally publishes.",
        A.ORGANISATION,
    ),
    Remark(
        "andrii.melnyk",
        "Service operational or management challenges",
        S.SUPPORT,
        "This is the operator's daily reality. Passive measurement is disappearing, and we need "
        "standard ways to ask for the information we need instead.",
        A.GROUP,
    ),
    Remark(
        "taras.shevchuk",
        "Performance may also push back against the desire to apply privacy partitioning",
        S.NEUTRAL,
        "In our tests on Ukrainian mobile networks the added round trip was barely noticeable. "
        "Performance should not be used as an argument against partitioning without data.",
    ),
    Remark(
        "lukas.meier",
        "Oblivious DNS over HTTPS",
        S.SUPPORT,
        "We ran an ODoH target for a year. Operating cost was modest; the hard part was finding "
        "independent relay operators, which supports the point about relay diversity.",
    ),
    Remark(
        "james.whitfield",
        "Privacy Pass is an architecture",
        S.QUESTION,
        "Who would operate token issuers for public services? If it is the state itself, the "
        "partition between attester and issuer may be weaker than it looks.",
    ),
)

ENCRYPTION_AFTER_V2 = (
    Remark(
        "amira.haddad",
        "Nothing in this position endorses mandated access",
        S.SUPPORT,
        "Thank you for adding this. It is the sentence most readers will look for.",
        A.ORGANISATION,
    ),
    Remark(
        "james.whitfield",
        "Nothing in this position endorses mandated access",
        S.OPPOSE,
        "This pre-empts a debate the document says it does not address. Lawful access under "
        "judicial oversight is not the same as a party present in every context; the sentence "
        "should be removed or qualified.",
        replies=(
            (
                EDITOR,
                "We keep the sentence but will explain in the brief why a targeted, "
                "authorised capability is hard to build without creating exactly that party.",
            ),
        ),
    ),
    Remark(
        "sophie.laurent",
        "is necessary but not sufficient for the privacy",
        S.SUPPORT,
        "The new wording is clearer for non-specialist readers.",
        A.ORGANISATION,
    ),
    Remark(
        "priya.raman",
        "Adding more partitions and contexts",
        S.AMEND,
        "More partitions only help if the parties are independent. Suggest saying so.",
        suggest=(
            "to make it increasingly difficult to collude",
            "operated by independent parties, to make it increasingly difficult to collude",
        ),
    ),
    Remark(
        "daniel.okafor",
        "Using separate connections to create separate contexts",
        S.NEUTRAL,
        "Worth adding that device fingerprinting research keeps moving; the list of factors will "
        "age quickly.",
        A.GROUP,
    ),
)

# --- fragmentation (Ukrainian): the law "Про електронні комунікації" --------------------------

FRAGMENTATION_SLUG = "fragmentatsiia-elektronni-komunikatsii"
FRAGMENTATION_TITLE = "Фрагментація Інтернету і Закон «Про електронні комунікації»: проєкт позиції"
FRAGMENTATION_SUMMARY = (
    "Український осередок Internet Society пропонує до обговорення позицію щодо ризиків "
    "фрагментації Інтернету в національному регулюванні електронних комунікацій. Коментуйте "
    "статті Закону окремо: що зберігає єдність глобальної мережі, а що створює ризик її поділу."
)
FRAGMENTATION_INTRO = (
    "# Передмова осередку",
    "Технічні рівні Інтернету — адресація, маршрутизація, обмін трафіком — мають залишатися "
    "глобально сумісними. Державне регулювання має зосереджуватися на правах користувачів і "
    "конкуренції, а не на тому, як мережі обмінюються трафіком між собою.",
    "Нижче наведено перші статті Закону України «Про електронні комунікації» (№ 1089-IX від "
    "16 грудня 2020 року), кожну скорочено до перших частин. Повний текст — на сайті "
    "Верховної Ради України.",
    "# Витяг із Закону",
)

FRAGMENTATION_REMARKS = (
    Remark(
        "bohdan.tkachenko",
        "маршрутизацією та транзитом трафіка у мережі Інтернет",
        S.SUPPORT,
        "Виключення маршрутизації та транзиту трафіка з-під дії Закону — ключова гарантія від "
        "фрагментації. Саме тому у 2022 році мережі змогли за лічені години перебудувати "
        "маршрути через нові точки обміну трафіком без жодних дозволів.",
        replies=(
            (
                EDITOR,
                "Дякуємо. Пропонуємо винести цей приклад у підсумковий документ як аргумент для "
                "інших держав регіону.",
            ),
        ),
    ),
    Remark(
        "olena.kovalenko",
        "маршрутизацією та транзитом трафіка у мережі Інтернет",
        S.SUPPORT,
        "Застереження щодо організацій, зареєстрованих у державах-агресорах, необхідне з "
        "міркувань безпеки. Водночас його не слід розширювати на міжнародні організації, "
        "членами яких є такі держави, — інакше Україна сама відріже себе від технічної "
        "координації.",
        A.ORGANISATION,
    ),
    Remark(
        "taras.shevchuk",
        "адреса мережі Інтернет - визначений",
        S.AMEND,
        "Визначення надто абстрактне. Варто прямо назвати IP-адресу та доменне ім’я, щоб "
        "вимоги до блокування не тлумачилися довільно.",
        A.ORGANISATION,
        suggest=(
            "символьний та/або цифровий ідентифікатор;",
            "символьний та/або цифровий ідентифікатор (зокрема IP-адреса та доменне ім’я);",
        ),
    ),
    Remark(
        "andrii.melnyk",
        "мінімально необхідного регулювання",
        S.SUPPORT,
        "Принцип мінімально необхідного регулювання має поширюватися і на вимоги щодо "
        "блокування ресурсів. Коли кожен оператор блокує на рівні DNS по-своєму, з’являються "
        "різні «національні версії» Інтернету.",
        A.ORGANISATION,
    ),
    Remark(
        "iryna.bondarenko",
        "прозорості, згідно з яким",
        S.AMEND,
        "Прозорість має означати публікацію, а не лише повідомлення адресатам рішення.",
        suggest=(
            "повідомлені суб’єктам, яких вони стосуються,",
            "повідомлені суб’єктам, яких вони стосуються, та оприлюднені на електронній "
            "регуляторній платформі",
        ),
    ),
    Remark(
        "taras.shevchuk",
        "може вимагати від постачальників",
        S.OPPOSE,
        "Запити регулятора не повинні охоплювати дані про трафік конкретних користувачів. У "
        "позиції варто прямо записати цю межу.",
        A.GROUP,
    ),
    Remark(
        "bohdan.tkachenko",
        "послуг міжособистісних електронних комунікацій без використання ресурсу нумерації",
        S.QUESTION,
        "Чи правильно ми розуміємо, що месенджери із наскрізним шифруванням не мають "
        "реєструватися в Україні? Прошу зафіксувати це в позиції, інакше з’явиться спокуса "
        "вимагати локалізації даних.",
        replies=(
            (
                EDITOR,
                "Так, обов’язок повідомлення на них не поширюється. Додамо це роз’яснення.",
            ),
        ),
    ),
    Remark(
        "andrii.melnyk",
        "Європейського Союзу, який звертається",
        S.SUPPORT,
        "Спрощений доступ для операторів ЄС — крок до спільного ринку, а не до фрагментації.",
        A.GROUP,
    ),
    Remark(
        "taras.shevchuk",
        "послуга доступу до мережі Інтернет",
        S.AMEND,
        "Послуга доступу має означати доступ до всього глобального Інтернету, без «білих "
        "списків» і пріоритетних ресурсів.",
        A.ORGANISATION,
        suggest=(
            "послуга доступу до мережі Інтернет;",
            "послуга доступу до мережі Інтернет (до всієї глобальної мережі, без обмежень за "
            "призначенням трафіку, крім передбачених законом);",
        ),
    ),
    Remark(
        "iryna.bondarenko",
        "З метою належного врахування інтересів кінцевих користувачів",
        S.SUPPORT,
        "Важливо, що консультації з кінцевими користувачами є обов’язком регулятора. Саме "
        "такий багатосторонній підхід пропонує осередок.",
    ),
    Remark(
        "olena.kovalenko",
        "не менше ніж 30 календарних днів",
        S.OPPOSE,
        "В умовах воєнного стану тридцятиденний строк не завжди можливий. Пропонуємо дозволити "
        "скорочений строк для рішень, пов’язаних з безпекою мереж.",
        replies=(
            (
                "taras.shevchuk",
                "Саме в кризових умовах відкритість консультацій найважливіша. Скорочення "
                "строку має бути винятком з обґрунтуванням.",
            ),
        ),
    ),
    Remark(
        "andrii.melnyk",
        "роумінг у роумінговій зоні Україна - ЄС",
        S.SUPPORT,
        "Роумінг Україна — ЄС показав, що гармонізація правил зменшує бар’єри для користувачів.",
        A.ORGANISATION,
    ),
    Remark(
        "bohdan.tkachenko",
        "Технічні рівні Інтернету",
        S.SUPPORT,
        "Цілком підтримуємо. Технічна координація має залишатися за багатосторонніми інституціями.",
    ),
    Remark(
        "olena.kovalenko",
        "Технічні рівні Інтернету",
        S.QUESTION,
        "Як ця теза співвідноситься з обов’язком блокувати ресурси держави-агресора? Позиція "
        "має це пояснити.",
        A.GROUP,
        replies=(
            (
                EDITOR,
                "Позиція не заперечує таких рішень, але пропонує ухвалювати їх публічно і "
                "виконувати однаково в усіх мережах.",
            ),
        ),
    ),
    Remark(
        "iryna.bondarenko",
        "Електронна регуляторна платформа забезпечує доступ до",
        S.NEUTRAL,
        "Варто перевірити, чи реєстри на платформі доступні у машиночитаному вигляді.",
        A.ORGANISATION,
    ),
)

# --- standards (English, closed): RFC 9518, "Centralization, Decentralization, and ..." ------

STANDARDS_SLUG = "centralization-internet-standards"
STANDARDS_TITLE = "Centralization and Internet standards: chapter consultation"
STANDARDS_SUMMARY = (
    "How far can Internet standards prevent centralization, and what should governments ask "
    "of standards bodies? The chapter consulted on RFC 9518 before the regional IGF."
)

STANDARDS_REMARKS = (
    Remark(
        "amira.haddad",
        "Power Imbalance",
        S.SUPPORT,
        "This is the harm that matters most for human rights: whoever sits at the chokepoint "
        "can be compelled to watch or to block.",
        A.ORGANISATION,
        ref="power",
        disposition=D.ACCEPTED,
        rationale="The brief leads with the power imbalance as the central harm.",
    ),
    Remark(
        "james.whitfield",
        "political centralization (where, for example, a country is able to control",
        S.AMEND,
        "Political centralization is waved away in one sentence. For governments it is the "
        "main concern and deserves more than a footnote.",
        ref="political",
        disposition=D.PARTIALLY_ACCEPTED,
        rationale="The brief adds a section on political centralization; the RFC text stays.",
    ),
    Remark(
        "priya.raman",
        "root zone of the Domain Name System",
        S.SUPPORT,
        "A good example of necessary centralization with strong governance around it.",
        ref="dns",
        disposition=D.NOTED,
    ),
    Remark(
        "sophie.laurent",
        "economies of scale can lead to concentration",
        S.SUPPORT,
        "Smaller European hosts compete on trust, not scale. Standards that enable switching are "
        "what keep that possible.",
        A.ORGANISATION,
        ref="scale",
        disposition=D.NOTED,
    ),
    Remark(
        "daniel.okafor",
        'requiring a "Centralization Considerations" section',
        S.OPPOSE,
        "We disagree. A short considerations section, like the security one, would at least "
        "make authors ask the question; it need not be a gate.",
        ref="considerations",
        disposition=D.NOT_ACCEPTED,
        rationale=(
            "Participants from the technical community and industry warned that a mandatory "
            "section would become boilerplate; the brief recommends focused reviews instead."
        ),
        replies=(
            (
                EDITOR,
                "Thank you; the brief will record this as a minority view from academia.",
            ),
        ),
    ),
    Remark(
        "marta.nowak",
        "Legal mandates for interoperability are increasingly proposed",
        S.AMEND,
        "Name the instrument: regulators will read this.",
        A.ORGANISATION,
        suggest=("(see, e.g., [DMA])", "(see, e.g., the EU Digital Markets Act [DMA])"),
        ref="mandates",
        disposition=D.ACCEPTED,
        rationale="Applied to the text; the brief cites the Digital Markets Act by name.",
    ),
    Remark(
        "andrii.melnyk",
        "The ability to switch between different function providers",
        S.AMEND,
        "Switching also needs number and data portability in national law, not only standards.",
        A.ORGANISATION,
        ref="switching",
        disposition=D.PARTIALLY_ACCEPTED,
        rationale="The brief mentions portability in law; the standards text is unchanged.",
    ),
    Remark(
        "lukas.meier",
        "third parties should only be interposed into communication",
        S.SUPPORT,
        "The two guidelines on intermediaries are the most practical advice in the document.",
        ref="intermediaries",
        disposition=D.ACCEPTED,
        rationale="Both guidelines are recommended in the brief.",
    ),
    Remark(
        "olena.kovalenko",
        "Techniques like encryption can discourage such centralization",
        S.QUESTION,
        "If encryption enforces boundaries against network operators, how do lawful access "
        "obligations fit? The brief should not ignore the government perspective.",
        A.GROUP,
        ref="lawful-access",
        disposition=D.OUT_OF_SCOPE,
        rationale=(
            "Lawful access is outside the scope of this consultation; the chapter takes it up in "
            "its consultation on encryption and privacy partitioning."
        ),
        replies=(
            (
                EDITOR,
                "We will point to the encryption consultation, where this question is open.",
            ),
        ),
    ),
    Remark(
        "taras.shevchuk",
        "Techniques like encryption can discourage such centralization",
        S.SUPPORT,
        "Encryption as a boundary against network chokepoints is exactly our experience in "
        "occupied territories, where traffic is rerouted through the occupier's networks.",
        A.ORGANISATION,
        ref="encryption",
        disposition=D.ACCEPTED,
        rationale="The brief recommends encryption as a boundary against network chokepoints.",
    ),
    Remark(
        "iryna.bondarenko",
        "behavioural, cognitive, and social and economic factors",
        S.AMEND,
        "Universities in the region could contribute here; the brief could invite joint "
        "research on why users do not switch providers.",
        ref="research",
        disposition=D.NOTED,
    ),
    Remark(
        "bohdan.tkachenko",
        "incorporating the Domain Name System is usually preferable",
        S.SUPPORT,
        "Reuse is also cheaper to secure: one DNSSEC deployment serves many protocols.",
        ref="reuse",
        disposition=D.NOTED,
    ),
    Remark(
        "sophie.laurent",
        "Internet functions should not make every aspect of their operation extensible",
        S.QUESTION,
        "How would a working group decide which aspects to leave fixed? Examples would help.",
        A.GROUP,
        ref="extensibility",
        disposition=D.NOTED,
    ),
)

STANDARDS_BRIEF_SLUG = "centralization-and-internet-standards"
STANDARDS_BRIEF_TITLE = "Centralization and Internet standards: recommendations of the chapter"
STANDARDS_BRIEF = """\
## Summary

The Ukrainian chapter consulted its members and partners on RFC 9518, *Centralization,
Decentralization, and Internet Standards*. Participants from government, the private sector,
academia, civil society and the technical community commented paragraph by paragraph. This
brief sets out what the chapter recommends to governments and standards bodies.

## Recommendations

1. **Name the harm.** The power imbalance created by chokepoints, where a party can watch or
   block, is the harm participants raised first [[thread:{power}]]. Political centralization,
   where a state controls a function across the whole Internet, deserves the same attention
   [[thread:{political}]].
2. **Pair interoperability mandates with standards work.** Regulators increasingly mandate
   interoperability, as in the EU Digital Markets Act [[thread:{mandates}]]; standards bodies
   should liaise early so that mandates fit the Internet architecture.
3. **Make switching real.** Standards enable switching, but number and data portability in
   national law are needed as well [[thread:{switching}]].
4. **Constrain intermediaries.** Third parties should be interposed only when a primary party
   chooses so, and see only what their function needs [[thread:{intermediaries}]].
5. **Keep encryption as a boundary.** Encryption limits what network operators can observe or
   change, which keeps chokepoints from forming [[thread:{encryption}]]. Government participants
   asked how lawful access fits [[thread:{lawful-access}]]; that question is outside this brief
   and open in the chapter's consultation on encryption and privacy partitioning.

## Where participants disagreed

Academia proposed a mandatory "centralization considerations" section in specifications
[[thread:{considerations}]]. Industry and the technical community warned that it would become
boilerplate; the chapter recommends focused reviews instead, and records the minority view.

## Next steps

The chapter will present these recommendations at the regional IGF and invite universities to
joint research on why users do not switch providers [[thread:{research}]].
"""

STANDARDS_BRIEF_UK_SLUG = "tsentralizatsiia-ta-internet-standarty"
STANDARDS_BRIEF_UK_TITLE = "Централізація та інтернет-стандарти: рекомендації осередку"
STANDARDS_BRIEF_UK = """\
## Підсумок

Український осередок провів консультацію щодо RFC 9518 «Централізація, децентралізація та
інтернет-стандарти». Коментарі надали представники уряду, бізнесу, академічної спільноти,
громадянського суспільства та технічної спільноти.

## Рекомендації

1. **Назвати шкоду.** Найбільшою шкодою учасники вважають дисбаланс сили: той, хто контролює
   вузьке місце мережі, може стежити або блокувати [[thread:{power}]].
2. **Поєднувати вимоги сумісності зі стандартизацією.** Закони на кшталт Акта ЄС про цифрові
   ринки мають спиратися на відкриті стандарти [[thread:{mandates}]].
3. **Захищати межі шифруванням.** Учасники наголосили, що мережі із наскрізним шифруванням
   важче перетворити на точки контролю [[thread:{encryption}]]. Питання законного доступу
   розглядається в окремій консультації осередку щодо шифрування [[thread:{lawful-access}]].
4. **Обмежувати посередників** лише тим, що потрібно для їхньої функції
   [[thread:{intermediaries}]].
"""
